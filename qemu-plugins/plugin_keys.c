/* plugin_keys.c - the table of the plugin's option keys (plugin_keys.h). */
#include "plugin_keys.h"

#include <stdio.h>
#include <string.h>

const struct plugin_key plugin_keys[PK_COUNT] = {
	[PK_OUT] = { "out", PK_PATH },
	[PK_MODE] = { "mode", PK_MODE_V },
	[PK_MEM] = { "mem", PK_BOOL },
	[PK_MIX] = { "mix", PK_BOOL },
	[PK_SYMBOLS] = { "symbols", PK_BOOL },
	[PK_BLOCKS] = { "blocks", PK_NUMBER },
	[PK_TRAPVEC] = { "trapvec", PK_LIST },
	[PK_GUEST] = { "guest", PK_LIST },
	[PK_MARKSYMS] = { "marksyms", PK_BOOL },
	[PK_MARKSYMS_LIMIT] = { "marksyms_limit", PK_NUMBER },
	[PK_THREADS] = { "threads", PK_BOOL },
	[PK_LEAN_LIMIT] = { "lean_limit", PK_NUMBER },
};

enum plugin_key_id plugin_key__find(const char *name, size_t len)
{
	int k;

	for (k = 0; k < PK_COUNT; k++)
		if (strlen(plugin_keys[k].name) == len && !strncmp(plugin_keys[k].name, name, len))
			break;
	return (enum plugin_key_id)k;
}

const char *plugin_key__list(char *buf, size_t size, int with_out)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int k = with_out ? 0 : 1; k < PK_COUNT && used < size; k++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
					 plugin_keys[k].name);
	return buf;
}
