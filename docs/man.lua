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
