/* testhold.h: the server's test hooks that hold a piece of work in flight (tests/integration:
 * test_loop.py holds deferred reads, test_committer.py the committer), so that a test sees what
 * else is answered meanwhile without timing anything. Not compiled out: a hook is off unless
 * its environment variable names a file, read once before any thread starts. */
#ifndef SECLABEL_TESTHOLD_H
#define SECLABEL_TESTHOLD_H

/* If path (may be NULL) names a file that exists: append "held\n" to it (what the test waits
 * for: the work is in flight), then wait while the file exists, at most a minute. */
void test_hold(const char *path);

#endif
