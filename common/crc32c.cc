#include "common/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace ferry {

namespace {

constexpr uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli

using Table = std::array<std::array<uint32_t, 256>, 8>;

constexpr Table make_slicing_table() {
  Table t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc >> 1) ^ ((crc & 1u) ? kPolynomial : 0u);
    t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i)
      t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFu];
  }
  return t;
}

constexpr Table kTable = make_slicing_table();

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);  // x86-64 and every platform we build on are little-endian
  return v;
}

// Raw (non-inverted) register update, slicing-by-8.
uint32_t raw_update_portable(uint32_t state, const uint8_t* p, size_t n) {
  while (n >= 8) {
    const uint64_t x = load_le64(p) ^ state;
    state = kTable[7][x & 0xFF] ^ kTable[6][(x >> 8) & 0xFF] ^ kTable[5][(x >> 16) & 0xFF] ^
            kTable[4][(x >> 24) & 0xFF] ^ kTable[3][(x >> 32) & 0xFF] ^
            kTable[2][(x >> 40) & 0xFF] ^ kTable[1][(x >> 48) & 0xFF] ^ kTable[0][x >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0)
    state = (state >> 8) ^ kTable[0][(state ^ *p++) & 0xFF];
  return state;
}

#if defined(__x86_64__)
// Three interleaved lanes of kLaneBytes each: the crc32 instruction has a latency of 3 cycles
// and a throughput of 1, so three independent chains keep the unit busy. The lanes are joined
// by "shifting" a raw register over kLaneBytes zero bytes, a linear map we tabulate per byte.
constexpr size_t kLaneBytes = 512;

struct ShiftTable {
  std::array<std::array<uint32_t, 256>, 4> t{};
  uint32_t apply(uint32_t x) const {
    return t[0][x & 0xFF] ^ t[1][(x >> 8) & 0xFF] ^ t[2][(x >> 16) & 0xFF] ^ t[3][x >> 24];
  }
};

const ShiftTable& lane_shift_table() {
  static const ShiftTable table = [] {
    ShiftTable s;
    static const uint8_t zeros[kLaneBytes] = {};
    std::array<uint32_t, 32> basis{};
    for (int bit = 0; bit < 32; ++bit) {
      basis[bit] = raw_update_portable(1u << bit, zeros, kLaneBytes);
    }
    for (int k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        uint32_t v = 0;
        for (int bit = 0; bit < 8; ++bit) {
          if (b & (1u << bit)) v ^= basis[8 * k + bit];
        }
        s.t[k][b] = v;
      }
    }
    return s;
  }();
  return table;
}

__attribute__((target("sse4.2"))) uint32_t raw_update_hardware(uint32_t state, const uint8_t* p,
                                                               size_t n) {
  uint64_t a = state;
  if (n >= 3 * kLaneBytes) {
    const ShiftTable& shift = lane_shift_table();
    do {
      uint64_t b = 0, c = 0;
      for (size_t i = 0; i < kLaneBytes; i += 8) {
        a = _mm_crc32_u64(a, load_le64(p + i));
        b = _mm_crc32_u64(b, load_le64(p + kLaneBytes + i));
        c = _mm_crc32_u64(c, load_le64(p + 2 * kLaneBytes + i));
      }
      const uint32_t ab = shift.apply(static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b);
      a = shift.apply(ab) ^ static_cast<uint32_t>(c);
      p += 3 * kLaneBytes;
      n -= 3 * kLaneBytes;
    } while (n >= 3 * kLaneBytes);
  }
  while (n >= 8) {
    a = _mm_crc32_u64(a, load_le64(p));
    p += 8;
    n -= 8;
  }
  uint32_t s = static_cast<uint32_t>(a);
  while (n-- > 0)
    s = _mm_crc32_u8(s, *p++);
  return s;
}
#endif

}  // namespace

uint32_t crc32c_extend_portable(uint32_t crc, const uint8_t* data, size_t size) {
  return ~raw_update_portable(~crc, data, size);
}

bool crc32c_hardware_available() {
#if defined(__x86_64__)
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
#else
  return false;
#endif
}

uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data, size_t size) {
#if defined(__x86_64__)
  return ~raw_update_hardware(~crc, data, size);
#else
  return crc32c_extend_portable(crc, data, size);
#endif
}

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size) {
  return crc32c_hardware_available() ? crc32c_extend_hardware(crc, data, size)
                                     : crc32c_extend_portable(crc, data, size);
}

}  // namespace ferry
