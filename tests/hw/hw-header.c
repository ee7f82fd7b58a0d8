/* hw-header.c - hw.h compiles on its own. */
#include "hw.h"

int main(void)
{
	return hw_event__find("task-clock") ? 0 : 1;
}
