/* mark-header.c - emudiff/mark.h compiles on its own, in strict C11, with no
 * other include before it (STYLE: public headers compiled alone). */
#include <emudiff/mark.h>

int main(void)
{
	EMUDIFF_MARK(7);
	EMUDIFF_MARK_NAMED(2047, "last");
	return 0;
}
