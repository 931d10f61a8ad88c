// Record-batch compression codecs, as Kafka clients write them (CLIENTS.md section 5):
//
//   gzip    a standard gzip stream (RFC 1952), possibly several members back to back (zlib).
//   snappy  either raw snappy (librdkafka, kafkajs) or the xerial framing the Java client uses:
//
//             0          8          12          16
//             +----------+----------+-----------+--------------------+------------------+---
//             | magic    | version  | compatible| block length int32 | raw snappy block | ...
//             | 82 'SNAPPY' 00 | int32 =1 | int32 =1 | (big-endian)  |                  |
//             +----------+----------+-----------+--------------------+------------------+---
//
//           decompress() detects the 8-byte magic and accepts both forms.
//   lz4     the LZ4 frame format (lz4frame.h), one or more frames.
//   zstd    standard zstd frames.
//
// decompress() never produces more than `max_output_bytes` (zip bombs fail with
// CORRUPT_MESSAGE before the memory is used), and reports any undecodable input as
// CORRUPT_MESSAGE. compress() is for tests, benchmarks and tools (the broker never recompresses).
// Thread-safety: pure functions; safe from any thread.
#pragma once

#include <cstddef>

#include "common/bytes.h"
#include "common/error.h"
#include "storage/record_batch.h"

namespace ferry::storage {

enum class SnappyFraming { kRaw, kXerial };

// Decompresses `input` (the records region of a batch). `type` must not be kNone.
Result<Bytes> decompress(CompressionType type, ByteSpan input, size_t max_output_bytes);

// Compresses `input` with the codec's default level. Snappy uses `snappy_framing`.
Result<Bytes> compress(CompressionType type, ByteSpan input,
                       SnappyFraming snappy_framing = SnappyFraming::kXerial);

}  // namespace ferry::storage
