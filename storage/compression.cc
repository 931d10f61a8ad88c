#include "storage/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

namespace ferry::storage {

namespace {

Error corrupt(std::string_view codec, std::string_view what) {
  return Error(ErrorCode::CORRUPT_MESSAGE, fmt::format("{} decompression failed: {}", codec, what));
}

Error too_big(std::string_view codec, size_t limit) {
  return Error(ErrorCode::CORRUPT_MESSAGE,
               fmt::format("{} data decompresses to more than the {} byte limit", codec, limit));
}

// Grows `out` by at most `chunk` bytes without passing `limit`; false when already at it.
bool grow(Bytes& out, size_t used, size_t limit, size_t chunk = 64 * 1024) {
  if (used < out.size()) return true;
  if (out.size() >= limit) return false;
  out.resize(std::min(limit, std::max(out.size() * 2, out.size() + chunk)));
  return true;
}

// ---- gzip ----------------------------------------------------------------------------------

Result<Bytes> gzip_decompress(ByteSpan input, size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return corrupt("gzip", "inflateInit2");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  Bytes out;
  size_t used = 0;
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  while (true) {
    if (!grow(out, used, limit)) return too_big("gzip", limit);
    zs.next_out = out.data() + used;
    zs.avail_out = static_cast<uInt>(out.size() - used);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    used = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) return corrupt("gzip", "inflateReset");
      continue;  // another gzip member follows
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return corrupt("gzip", "truncated stream");
    if (rc != Z_OK && rc != Z_BUF_ERROR) return corrupt("gzip", zs.msg ? zs.msg : "bad data");
  }
  out.resize(used);
  return out;
}

Result<Bytes> gzip_compress(ByteSpan input) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return Error(ErrorCode::UNKNOWN_SERVER_ERROR, "deflateInit2 failed");
  }
  Bytes out(deflateBound(&zs, input.size()) + 32);
  zs.next_in = const_cast<Bytef*>(input.data());
  zs.avail_in = static_cast<uInt>(input.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Error(ErrorCode::UNKNOWN_SERVER_ERROR, "deflate failed");
  return out;
}

// ---- snappy --------------------------------------------------------------------------------

constexpr std::array<uint8_t, 8> kXerialMagic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;
constexpr size_t kXerialBlockSize = 32 * 1024;  // the Java client's default block

bool is_xerial(ByteSpan input) {
  return input.size() >= kXerialHeaderSize &&
         std::memcmp(input.data(), kXerialMagic.data(), kXerialMagic.size()) == 0;
}

Status snappy_append_raw(ByteSpan block, Bytes& out, size_t limit) {
  size_t length = 0;
  const char* src = reinterpret_cast<const char*>(block.data());
  if (!snappy::GetUncompressedLength(src, block.size(), &length)) {
    return corrupt("snappy", "bad block header");
  }
  if (length > limit || out.size() > limit - length) return too_big("snappy", limit);
  const size_t at = out.size();
  out.resize(at + length);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(out.data() + at))) {
    return corrupt("snappy", "bad block");
  }
  return ok_status();
}

Result<Bytes> snappy_decompress(ByteSpan input, size_t limit) {
  Bytes out;
  if (!is_xerial(input)) {
    FERRY_TRY(snappy_append_raw(input, out, limit));
    return out;
  }
  size_t pos = kXerialHeaderSize;
  while (pos < input.size()) {
    if (input.size() - pos < 4) return corrupt("snappy", "truncated xerial block length");
    const uint32_t length = load_be32(input.data() + pos);
    pos += 4;
    if (length > input.size() - pos) return corrupt("snappy", "truncated xerial block");
    FERRY_TRY(snappy_append_raw(input.subspan(pos, length), out, limit));
    pos += length;
  }
  return out;
}

Bytes snappy_compress_raw(ByteSpan input) {
  Bytes out(snappy::MaxCompressedLength(input.size()));
  size_t length = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(input.data()), input.size(),
                      reinterpret_cast<char*>(out.data()), &length);
  out.resize(length);
  return out;
}

Bytes snappy_compress_xerial(ByteSpan input) {
  Bytes out(kXerialMagic.begin(), kXerialMagic.end());
  ByteWriter w(out);
  w.i32(1);  // version
  w.i32(1);  // minimum compatible version
  for (size_t pos = 0; pos < input.size(); pos += kXerialBlockSize) {
    const Bytes block =
        snappy_compress_raw(input.subspan(pos, std::min(kXerialBlockSize, input.size() - pos)));
    w.i32(static_cast<int32_t>(block.size()));
    w.bytes(block);
  }
  return out;
}

// ---- lz4 -----------------------------------------------------------------------------------

Result<Bytes> lz4_decompress(ByteSpan input, size_t limit) {
  LZ4F_dctx* dctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
    return corrupt("lz4", "cannot create context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> guard(
      dctx, &LZ4F_freeDecompressionContext);
  Bytes out;
  size_t used = 0;
  size_t in_pos = 0;
  size_t hint = 1;
  while (in_pos < input.size()) {
    if (!grow(out, used, limit)) return too_big("lz4", limit);
    size_t dst_size = out.size() - used;
    size_t src_size = input.size() - in_pos;
    hint = LZ4F_decompress(dctx, out.data() + used, &dst_size, input.data() + in_pos, &src_size,
                           nullptr);
    if (LZ4F_isError(hint)) return corrupt("lz4", LZ4F_getErrorName(hint));
    in_pos += src_size;
    used += dst_size;
    if (src_size == 0 && dst_size == 0 && used < out.size()) {
      return corrupt("lz4", "no progress");
    }
  }
  // Flush what the context still holds (output may have been limited by space).
  while (hint != 0) {
    if (!grow(out, used, limit)) return too_big("lz4", limit);
    size_t dst_size = out.size() - used;
    size_t src_size = 0;
    hint = LZ4F_decompress(dctx, out.data() + used, &dst_size, nullptr, &src_size, nullptr);
    if (LZ4F_isError(hint)) return corrupt("lz4", LZ4F_getErrorName(hint));
    used += dst_size;
    if (dst_size == 0 && hint != 0) return corrupt("lz4", "truncated frame");
  }
  out.resize(used);
  return out;
}

Result<Bytes> lz4_compress(ByteSpan input) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  Bytes out(LZ4F_compressFrameBound(input.size(), &prefs));
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) return Error(ErrorCode::UNKNOWN_SERVER_ERROR, LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

// ---- zstd ----------------------------------------------------------------------------------

Result<Bytes> zstd_decompress(ByteSpan input, size_t limit) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (ds == nullptr) return corrupt("zstd", "cannot create stream");
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> guard(ds, &ZSTD_freeDStream);
  ZSTD_initDStream(ds);
  Bytes out;
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t used = 0;
  size_t last = 1;
  while (in.pos < in.size || last != 0) {
    if (!grow(out, used, limit)) return too_big("zstd", limit);
    ZSTD_outBuffer ob{out.data() + used, out.size() - used, 0};
    const size_t before_in = in.pos;
    last = ZSTD_decompressStream(ds, &ob, &in);
    if (ZSTD_isError(last)) return corrupt("zstd", ZSTD_getErrorName(last));
    used += ob.pos;
    if (in.pos == in.size && last != 0 && ob.pos < ob.size && before_in == in.pos) {
      return corrupt("zstd", "truncated frame");
    }
  }
  out.resize(used);
  return out;
}

Result<Bytes> zstd_compress(ByteSpan input) {
  Bytes out(ZSTD_compressBound(input.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 3);
  if (ZSTD_isError(n)) return Error(ErrorCode::UNKNOWN_SERVER_ERROR, ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

}  // namespace

Result<Bytes> decompress(CompressionType type, ByteSpan input, size_t max_output_bytes) {
  switch (type) {
    case CompressionType::kGzip:
      return gzip_decompress(input, max_output_bytes);
    case CompressionType::kSnappy:
      return snappy_decompress(input, max_output_bytes);
    case CompressionType::kLz4:
      return lz4_decompress(input, max_output_bytes);
    case CompressionType::kZstd:
      return zstd_decompress(input, max_output_bytes);
    case CompressionType::kNone:
      break;
  }
  return Error(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE,
               fmt::format("no decompressor for codec {}", static_cast<int>(type)));
}

Result<Bytes> compress(CompressionType type, ByteSpan input, SnappyFraming snappy_framing) {
  switch (type) {
    case CompressionType::kGzip:
      return gzip_compress(input);
    case CompressionType::kSnappy:
      return snappy_framing == SnappyFraming::kXerial ? snappy_compress_xerial(input)
                                                      : snappy_compress_raw(input);
    case CompressionType::kLz4:
      return lz4_compress(input);
    case CompressionType::kZstd:
      return zstd_compress(input);
    case CompressionType::kNone:
      return Bytes(input.begin(), input.end());
  }
  return Error(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE, "unknown codec");
}

}  // namespace ferry::storage
