-- pandoc filter for the man pages made from docs/*.md (docs/meson.build).
-- A link to another page of the manual becomes its name in man style,
-- "emudiff-stats.md" -> emudiff-stats(1), "store.md" -> emudiff-store(7);
-- other relative links keep only their text; web addresses stay as they are.
local section7 = { store = true, markers = true, plugin = true, virtualization = true,
  statistics = true, limits = true }

function Link(el)
  local t = el.target
  if t:match('^%a+://') or t:match('^mailto:') then return el end
  local page = t:match('^([%w%-]+)%.md') or t:match('/([%w%-]+)%.md')
  if page and page:match('^emudiff') then
    return pandoc.Str(page .. '(1)')
  elseif page and section7[page] then
    return pandoc.Str('emudiff-' .. page .. '(7)')
  end
  return el.content
end

-- A topic page (store.md ...) has no NAME section of its own: give it one, from the
-- file name and the page's title, so that whatis and apropos find it.
function Pandoc(doc)
  local first = doc.blocks[1]
  if first and first.t == 'Header' and pandoc.utils.stringify(first) == 'NAME' then
    return doc
  end
  local input = PANDOC_STATE.input_files[1] or ''
  local page = input:match('([%w%-]+)%.md$') or 'emudiff'
  if not page:match('^emudiff') then page = 'emudiff-' .. page end
  local title = doc.meta.title and pandoc.utils.stringify(doc.meta.title) or page
  table.insert(doc.blocks, 1, pandoc.Header(1, 'NAME'))
  table.insert(doc.blocks, 2, pandoc.Para({ pandoc.Str(page .. ' - ' .. title) }))
  return doc
end
