/* A (72,64) SEC-DED encoder/decoder with eccsim's C DUT signature (eccsim.testbench.c_dut),
 * written for eccsim's tests: one correct implementation and deliberately buggy variants.
 *
 * The code comes from a generated header, ecc_masks.h, holding eight 64-bit masks:
 *     #define ECC_MASKS { 0x...ULL, ... }   // check bit j = parity(data & mask j)
 * The tests derive it from eccsim's hsiao-secded code.
 *
 * Compile the correct one with  cc -O2 -shared -fPIC -I<dir of ecc_masks.h> -o libsecded.so secded.c
 * and a buggy one by adding one of:
 *   -DBUG_XOR_TWICE        the check computation XORs data bit 5 a second time into the first
 *                          check bit that uses it (encoder and syndrome: a different code)
 *   -DBUG_ALL_CORRECTABLE  every non-zero syndrome is treated as correctable: one that matches no
 *                          column is "corrected" by flipping check bits, never flagged uncorrectable
 *   -DBUG_SWAP_CHECK       the decoder reads check bits 0 and 1 swapped
 *   -DBUG_SEGFAULT         the decoder writes through a null pointer on an uncorrectable syndrome
 *   -DBUG_LOOP             the decoder loops forever on an uncorrectable syndrome
 *   -DBUG_ABORT            the decoder prints a message and calls abort() on one
 *   -DBUG_EXIT             the decoder calls exit(3) on one
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ecc_masks.h"

static const uint64_t MASKS[8] = ECC_MASKS;

static unsigned parity64(uint64_t x) {
    x ^= x >> 32;
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    return (unsigned)(x & 1);
}

static uint64_t check_bits(uint64_t d) {
    uint64_t c = 0;
    for (int j = 0; j < 8; j++)
        c |= (uint64_t)parity64(d & MASKS[j]) << j;
#ifdef BUG_XOR_TWICE
    for (int j = 0; j < 8; j++)
        if ((MASKS[j] >> 5) & 1) {
            c ^= ((d >> 5) & 1) << j; /* bit 5 was already in there */
            break;
        }
#endif
    return c;
}

void ecc_encode(const uint64_t *data, uint64_t *check, size_t n) {
    for (size_t i = 0; i < n; i++)
        check[i] = check_bits(data[i]);
}

#ifndef BUG_ALL_CORRECTABLE
static void uncorrectable(uint64_t s) {
#if defined(BUG_SEGFAULT)
    volatile int *volatile p = NULL; /* volatile: the compiler must keep the store */
    *p = (int)s;
#elif defined(BUG_LOOP)
    volatile int spin = 1;
    while (spin) {
    }
#elif defined(BUG_ABORT)
    fprintf(stderr, "secded: uncorrectable syndrome 0x%02llx\n", (unsigned long long)s);
    abort();
#elif defined(BUG_EXIT)
    exit(3);
#endif
    (void)s;
}
#endif

void ecc_decode(const uint64_t *data, const uint64_t *check, uint64_t *out_data,
                uint64_t *out_check, uint8_t *flags, size_t n) {
    uint64_t column[64]; /* the syndrome of a flip of data bit b */
    for (int b = 0; b < 64; b++) {
        column[b] = 0;
        for (int j = 0; j < 8; j++)
            column[b] |= ((MASKS[j] >> b) & 1) << j;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t d = data[i], c = check[i];
#ifdef BUG_SWAP_CHECK
        c = (c & ~(uint64_t)3) | ((c & 1) << 1) | ((c >> 1) & 1);
#endif
        uint64_t s = c ^ check_bits(d);
        uint8_t f = 0;
        if (s != 0) {
            int bit = -1;
            for (int b = 0; b < 64; b++)
                if (column[b] == s) {
                    bit = b;
                    break;
                }
            if (bit >= 0) {
                d ^= (uint64_t)1 << bit;
                f = 1;
            } else if ((s & (s - 1)) == 0) {
                c ^= s; /* one check bit flipped */
                f = 1;
            } else {
#ifdef BUG_ALL_CORRECTABLE
                c ^= s;
                f = 1;
#else
                uncorrectable(s);
                f = 2;
#endif
            }
        }
#ifdef BUG_SWAP_CHECK
        c = (c & ~(uint64_t)3) | ((c & 1) << 1) | ((c >> 1) & 1);
#endif
        out_data[i] = d;
        out_check[i] = c;
        flags[i] = f;
    }
}
