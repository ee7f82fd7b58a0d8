/*
 * marked-lib.c - a shared object for the symbolizer tests: exported
 * functions survive `strip` in .dynsym, the hidden one does not.
 */
__attribute__((visibility("hidden"), noinline)) int lib_hidden(int x)
{
	return x + 7;
}

int lib_first(int x)
{
	return lib_hidden(x) * 2;
}

int lib_second(int x)
{
	return x > 3 ? lib_first(x - 1) : x;
}

long lib_third(long a, long b)
{
	return a * b + lib_second((int)a);
}
