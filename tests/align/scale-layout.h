/* scale-layout.h - the layout gen-funcs.c writes and test-symtab-scale.c checks. */
#ifndef SCALE_LAYOUT_H
#define SCALE_LAYOUT_H

#define SCALE_HOLE 3u

static inline unsigned scale_size_of(long i)
{
	return 1u + (unsigned)((i * 7919) % 61);
}

static inline int scale_has_hole(long i)
{
	return i % 10 == 9;
}

#endif
