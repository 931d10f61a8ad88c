// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka record batches
// v2 (CLIENTS.md section 5) and of Ferry's own on-disk records.
//
// `crc32c_extend(crc, data)` continues a CRC: crc32c(a + b) == crc32c_extend(crc32c(a), b), and
// crc32c of nothing is 0. The dispatching entry points use the SSE4.2 crc32 instruction (three
// interleaved streams) when the CPU has it and a slicing-by-8 table otherwise; both are also
// exported so tests can check each against known vectors. All functions are thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace ferry {

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size);

inline uint32_t crc32c(const uint8_t* data, size_t size) {
  return crc32c_extend(0, data, size);
}
inline uint32_t crc32c(std::span<const uint8_t> data) {
  return crc32c(data.data(), data.size());
}
inline uint32_t crc32c(std::string_view data) {
  return crc32c(reinterpret_cast<const uint8_t*>(data.data()), data.size());
}

// The two implementations behind crc32c_extend.
uint32_t crc32c_extend_portable(uint32_t crc, const uint8_t* data, size_t size);
// Requires crc32c_hardware_available(); undefined otherwise.
uint32_t crc32c_extend_hardware(uint32_t crc, const uint8_t* data, size_t size);
bool crc32c_hardware_available();

}  // namespace ferry
