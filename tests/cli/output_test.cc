// JSON escaping, table layout, record text/JSON formatting, line splitting and key parsing,
// and how errors are named.
#include <gtest/gtest.h>

#include <librdkafka/rdkafka.h>

#include "cli/json.h"
#include "cli/record_format.h"
#include "cli/report.h"
#include "cli/table.h"

namespace ferry::cli {
namespace {

std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonEscaping, quotes_backslashes_and_control_characters_are_escaped) {
  EXPECT_EQ(json_quoted("plain"), "\"plain\"");
  EXPECT_EQ(json_quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quoted("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
  EXPECT_EQ(json_quoted(std::string("\x00\x01\x1f", 3)), "\"\\u0000\\u0001\\u001f\"");
  EXPECT_EQ(json_quoted("/\x7f"), "\"/\x7f\"");  // '/' and DEL need no escape
}

TEST(JsonEscaping, well_formed_utf8_passes_through) {
  EXPECT_EQ(json_quoted("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(JsonEscaping, malformed_utf8_becomes_replacement_characters) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(json_quoted("\xFF"), "\"" + fffd + "\"");             // never valid
  EXPECT_EQ(json_quoted("\x80x"), "\"" + fffd + "x\"");           // stray continuation byte
  EXPECT_EQ(json_quoted("\xC3"), "\"" + fffd + "\"");             // truncated sequence
  EXPECT_EQ(json_quoted("\xC0\xAF"), "\"" + fffd + fffd + "\"");  // overlong '/'
  EXPECT_EQ(json_quoted("\xED\xA0\x80"), "\"" + fffd + fffd + fffd + "\"");  // surrogate
  EXPECT_EQ(json_quoted("\xF4\x90\x80\x80"),
            "\"" + fffd + fffd + fffd + fffd + "\"");  // > U+10FFFF
}

TEST(JsonValue, nested_values_serialise_compactly_in_insertion_order) {
  Json json = Json::object();
  json["z"] = 1;
  json["a"] = Json::array();
  Json list = Json::array();
  list.push_back(nullptr);
  list.push_back(true);
  list.push_back(static_cast<int64_t>(-9'000'000'000));
  list.push_back("s");
  json["list"] = std::move(list);
  json["missing"] = optional_string(std::nullopt);
  EXPECT_EQ(dump_json(json), R"({"z":1,"a":[],"list":[null,true,-9000000000,"s"],"missing":null})");
}

TEST(JsonValue, keys_are_escaped_too) {
  Json json = Json::object();
  json["a\"b"] = "c\n";
  EXPECT_EQ(dump_json(json), R"({"a\"b":"c\n"})");
}

TEST(TableFormat, columns_align_with_two_spaces_and_no_trailing_blanks) {
  Table table({"NAME", "PARTITIONS", "X"});
  table.add_row({"orders", "6", ""});
  table.add_row({"a", "12", "y"});
  EXPECT_EQ(table.render(),
            "NAME    PARTITIONS  X\n"
            "orders  6\n"
            "a       12          y\n");
}

TEST(TableFormat, empty_table_still_prints_its_header) {
  Table table({"NAME", "PARTITIONS"});
  EXPECT_EQ(table.render(), "NAME  PARTITIONS\n");
}

TEST(TableFormat, width_counts_code_points_not_bytes) {
  Table table({"K", "V"});
  table.add_row({"\xC3\xA9t\xC3\xA9", "1"});
  table.add_row({"abcd", "2"});
  EXPECT_EQ(table.render(),
            "K     V\n"
            "\xC3\xA9t\xC3\xA9   1\n"
            "abcd  2\n");
}

TEST(TableFormat, control_characters_are_shown_escaped_so_a_row_stays_one_line) {
  Table table({"VALUE"});
  table.add_row({std::string("a\nb\tc\x01", 6)});
  EXPECT_EQ(table.render(), "VALUE\na\\nb\\tc\\x01\n");
}

TEST(TableFormat, key_value_table_has_no_header) {
  Table table = Table::key_values();
  table.add_row({"NAME", "orders"});
  table.add_row({"PARTITIONS", "6"});
  EXPECT_EQ(table.render(), "NAME        orders\nPARTITIONS  6\n");
  EXPECT_EQ(section_title("CONFIGS"), "CONFIGS\n=======\n");
}

TEST(LineSplitting, lines_end_at_newline_and_drop_a_carriage_return) {
  LineSplitter splitter;
  splitter.feed("a\nb\r\nc");
  EXPECT_EQ(splitter.next_line(), "a");
  EXPECT_EQ(splitter.next_line(), "b");
  EXPECT_EQ(splitter.next_line(), std::nullopt);
  splitter.feed("d\n\n");
  EXPECT_EQ(splitter.next_line(), "cd");
  EXPECT_EQ(splitter.next_line(), "");  // an empty line is an empty record
  EXPECT_EQ(splitter.next_line(), std::nullopt);
  EXPECT_EQ(splitter.finish(), std::nullopt);
}

TEST(LineSplitting, unterminated_last_line_counts_at_the_end) {
  LineSplitter splitter;
  splitter.feed("x\ny");
  EXPECT_EQ(splitter.next_line(), "x");
  EXPECT_EQ(splitter.next_line(), std::nullopt);
  EXPECT_EQ(splitter.finish(), "y");
}

TEST(KeyParsing, without_key_mode_the_line_is_the_value_and_the_key_is_null) {
  auto record = record_from_line("a\tb", KeyMode{});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->key, std::nullopt);
  EXPECT_EQ(record->value, "a\tb");
}

TEST(KeyParsing, fixed_key_applies_to_every_line) {
  auto record = record_from_line("v", KeyMode{KeyMode::Kind::kFixed, "k", ""});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->key, "k");
  EXPECT_EQ(record->value, "v");
}

TEST(KeyParsing, parse_key_splits_at_the_first_separator) {
  KeyMode mode{KeyMode::Kind::kParse, "", "::"};
  auto record = record_from_line("k::v::w", mode);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->key, "k");
  EXPECT_EQ(record->value, "v::w");
  auto empty_key = record_from_line("::v", mode);
  ASSERT_TRUE(empty_key.ok());
  EXPECT_EQ(empty_key->key, "");
  auto empty_value = record_from_line("k::", mode);
  ASSERT_TRUE(empty_value.ok());
  EXPECT_EQ(empty_value->value, "");
}

TEST(KeyParsing, line_without_separator_is_a_bad_message) {
  auto record = record_from_line("no separator", KeyMode{KeyMode::Kind::kParse, "", "\t"});
  ASSERT_FALSE(record.ok());
  EXPECT_EQ(error_display_name(record.error().code()), "_BAD_MSG");
}

ConsumedRecord sample() {
  ConsumedRecord r;
  r.topic = "orders";
  r.partition = 2;
  r.offset = 17;
  r.timestamp_type = TimestampType::kCreateTime;
  r.timestamp_ms = 1700000000123;
  r.key = "k";
  r.value = "v";
  r.headers = {{"h1", "x"}, {"h2", std::nullopt}};
  return r;
}

TEST(RecordText, value_only_by_default) {
  EXPECT_EQ(format_record_text(sample(), PrintOptions{}), "v\n");
}

TEST(RecordText, fields_follow_the_console_consumer_order_and_separator) {
  PrintOptions all{true, true, true, true, true, "|"};
  EXPECT_EQ(format_record_text(sample(), all),
            "CreateTime:1700000000123|Partition:2|Offset:17|h1:x,h2:null|k|v\n");
}

TEST(RecordText, nulls_and_missing_pieces_have_their_console_consumer_spelling) {
  ConsumedRecord r;
  r.topic = "t";
  PrintOptions options{true, false, false, true, true, "\t"};
  EXPECT_EQ(format_record_text(r, options), "NO_TIMESTAMP\tNO_HEADERS\tnull\tnull\n");
  r.timestamp_type = TimestampType::kLogAppendTime;
  r.timestamp_ms = 5;
  r.value = "";
  EXPECT_EQ(format_record_text(r, options), "LogAppendTime:5\tNO_HEADERS\tnull\t\n");
}

TEST(RecordJson, has_every_field_with_nulls_for_missing_values) {
  EXPECT_EQ(dump_json(record_json(sample())),
            R"({"topic":"orders","partition":2,"offset":17,"timestamp":1700000000123,)"
            R"("timestamp_type":"CreateTime","key":"k","value":"v","headers":[)"
            R"({"key":"h1","value":"x"},{"key":"h2","value":null}]})");
  ConsumedRecord tombstone;
  tombstone.topic = "t";
  EXPECT_EQ(dump_json(record_json(tombstone)),
            R"({"topic":"t","partition":0,"offset":0,"timestamp":null,"timestamp_type":null,)"
            R"("key":null,"value":null,"headers":[]})");
}

TEST(ErrorNames, broker_codes_use_kafka_names_and_local_codes_librdkafka_names) {
  EXPECT_EQ(error_display_name(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION),
            "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(error_display_name(ErrorCode::TOPIC_ALREADY_EXISTS), "TOPIC_ALREADY_EXISTS");
  EXPECT_EQ(error_display_name(static_cast<ErrorCode>(RD_KAFKA_RESP_ERR__TIMED_OUT)), "_TIMED_OUT");
  EXPECT_EQ(error_display_name(static_cast<ErrorCode>(RD_KAFKA_RESP_ERR__TRANSPORT)), "_TRANSPORT");
}

TEST(ErrorLines, have_command_item_name_and_message) {
  EXPECT_EQ(format_item_error("topic create", "orders",
                              Error(ErrorCode::TOPIC_ALREADY_EXISTS, "Topic 'orders' exists.")),
            "ferry: topic create: orders: TOPIC_ALREADY_EXISTS: Topic 'orders' exists.");
}

TEST(ErrorLines, missing_server_message_falls_back_to_the_default_text) {
  EXPECT_EQ(
      format_item_error("topic describe", "x", Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "")),
      "ferry: topic describe: x: UNKNOWN_TOPIC_OR_PARTITION: This server does not host "
      "this topic-partition.");
  EXPECT_EQ(format_item_error("cluster info", "h:1",
                              Error(static_cast<ErrorCode>(RD_KAFKA_RESP_ERR__TIMED_OUT), "")),
            "ferry: cluster info: h:1: _TIMED_OUT: Local: Timed out");
}

TEST(ErrorLines, reporter_counts_failures_for_the_exit_status) {
  std::ostringstream err;
  Reporter reporter(err, "topic delete");
  EXPECT_EQ(reporter.exit_code(), 0);
  reporter.item_failed("a", Error(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION, "gone"));
  EXPECT_EQ(reporter.exit_code(), 1);
  EXPECT_EQ(err.str(), "ferry: topic delete: a: UNKNOWN_TOPIC_OR_PARTITION: gone\n");
}

}  // namespace
}  // namespace ferry::cli
