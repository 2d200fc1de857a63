/* testhold.c: hold a piece of work while a test's file exists (see testhold.h). */
#include "testhold.h"

#include <fcntl.h>
#include <unistd.h>

void test_hold(const char *path)
{
    int fd = path ? open(path, O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
    if (fd < 0) return;            /* no file: no hold */
    (void)!write(fd, "held\n", 5); /* what the test waits for: this work is in flight */
    close(fd);
    for (int i = 0; i < 6000 && access(path, F_OK) == 0; i++)
        usleep(10000);
}
