/* A bad DUT for eccsim's tests: its encoder starts a child process that sleeps for ten minutes
 * (holding every file the worker had open) and then segfaults. eccsim must still report the
 * crash at once and leave neither process behind. Its decoder does nothing. */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

void ecc_encode(const uint64_t *data, uint64_t *check, size_t n) {
    (void)data;
    (void)check;
    (void)n;
    if (fork() == 0) {
        sleep(600);
        _exit(0);
    }
    volatile int *volatile p = NULL;
    *p = 1;
}

void ecc_decode(const uint64_t *data, const uint64_t *check, uint64_t *out_data,
                uint64_t *out_check, uint8_t *flags, size_t n) {
    (void)data, (void)check, (void)out_data, (void)out_check, (void)flags, (void)n;
}
