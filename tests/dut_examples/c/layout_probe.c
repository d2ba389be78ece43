/* A layout probe for eccsim's C DUT adapter (not a code): with W words per data word (-DW=2),
 * the encoder returns the XOR of a row's words rotated by their index, and the decoder hands
 * back each word XOR its index, the check word plus one, and flags = row index mod 4. The
 * tests compute the same in numpy, which pins down the row/word layout and the flag bits. */
#include <stddef.h>
#include <stdint.h>

#ifndef W
#define W 2
#endif

static uint64_t rotl(uint64_t x, unsigned k) { return k ? (x << k) | (x >> (64 - k)) : x; }

void ecc_encode(const uint64_t *data, uint64_t *check, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint64_t c = 0;
        for (unsigned w = 0; w < W; w++)
            c ^= rotl(data[i * W + w], w);
        check[i] = c;
    }
}

void ecc_decode(const uint64_t *data, const uint64_t *check, uint64_t *out_data,
                uint64_t *out_check, uint8_t *flags, size_t n) {
    for (size_t i = 0; i < n; i++) {
        for (unsigned w = 0; w < W; w++)
            out_data[i * W + w] = data[i * W + w] ^ w;
        out_check[i] = check[i] + 1;
        flags[i] = (uint8_t)(i % 4);
    }
}
