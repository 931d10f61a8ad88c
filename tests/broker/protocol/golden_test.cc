// Golden tests of the codec: request frames captured from real clients (golden/*.frames,
// recorded by golden/capture.py through a proxy in front of ferryd) decode in full and
// re-encode to the same bytes, header included.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "broker/protocol/generated/messages.h"
#include "broker/protocol/header.h"

namespace ferry::broker::kafka {
namespace {

struct Captured {
  std::string file;
  int16_t key;
  int16_t version;
  Bytes frame;
};

std::vector<Captured> load_golden_frames() {
  std::vector<Captured> out;
  for (const auto& entry : std::filesystem::directory_iterator(FERRY_GOLDEN_DIR)) {
    if (entry.path().extension() != ".frames") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields(line);
      Captured c{entry.path().filename().string(), 0, 0, {}};
      std::string hex;
      fields >> c.key >> c.version >> hex;
      for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        c.frame.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      }
      out.push_back(std::move(c));
    }
  }
  return out;
}

template <typename Req>
void expect_identical_round_trip(const Captured& c, int16_t flexible_from) {
  Bytes frame = c.frame;
  Reader r(frame);
  RequestHeader header;
  const int16_t header_version = request_header_version(flexible_from, c.version);
  read_request_header(r, header_version, header);
  ASSERT_TRUE(r.ok()) << c.file << ": header of " << Req::kName << " v" << c.version;
  Req request;
  request.decode(r, c.version);
  ASSERT_TRUE(r.ok()) << c.file << ": " << Req::kName << " v" << c.version << ": " << r.failure();
  EXPECT_EQ(r.remaining(), 0u) << c.file << ": " << Req::kName << " v" << c.version
                               << " left bytes undecoded";
  Writer w;
  write_request_header(w, header_version, header);
  request.encode(w, c.version);
  EXPECT_EQ(w.take_bytes(), c.frame)
      << c.file << ": " << Req::kName << " v" << c.version << " re-encodes differently";
}

TEST(KafkaGolden, frames_captured_from_real_clients_decode_and_re_encode_identically) {
  const auto frames = load_golden_frames();
  ASSERT_GE(frames.size(), 20u) << "golden frames missing in " << FERRY_GOLDEN_DIR;
  std::set<std::string> clients;
  for (const auto& c : frames) {
    clients.insert(c.file);
    const ApiSchemaInfo* schema = nullptr;
    for (const auto& s : kApiSchemas) {
      if (s.key == c.key) schema = &s;
    }
    ASSERT_NE(schema, nullptr) << c.file << ": API key " << c.key << " unknown to the codec";
    ASSERT_TRUE(c.version >= schema->min_version && c.version <= schema->max_version)
        << c.file << ": " << schema->name << " v" << c.version;
    with_request_type(
        c.key, [&]<typename T>() { expect_identical_round_trip<T>(c, schema->flexible_from); });
  }
  EXPECT_EQ(clients.size(), 5u) << "one capture per client (kcat, kafka_python, "
                                   "confluent_kafka, kafkajs, platformatic)";
}

}  // namespace
}  // namespace ferry::broker::kafka
