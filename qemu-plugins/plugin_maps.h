/*
 * plugin_maps.h - private to libemudiff-qemu.so: the guest's file mappings
 * that held translated code, and instructions by segment address of code
 * QEMU named no symbol for (user mode; plugin_maps.c says how).
 */
#ifndef EMUDIFF_PLUGIN_MAPS_H
#define EMUDIFF_PLUGIN_MAPS_H

#include <stdint.h>
#include <stdio.h>

#include <qemu-plugin.h>

#include "plugin_tables.h"

/* From the plugin's system-call return callback (QEMU keeps one callback
 * per event and plugin): the guest's mappings may have changed. */
void maps__syscall_ret(int64_t num);
/* At translation (state lock held): the block at guest vaddr, host haddr. */
void maps__note_block(uint64_t vaddr, const void *haddr);
/* At write: the map and pc lines. */
void maps__write(struct outbuf *f);

#endif
