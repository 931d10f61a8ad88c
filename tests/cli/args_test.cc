// The command line: every usage error exits with 2 and names the bad token; help exits 0.
#include <gtest/gtest.h>

#include <sstream>

#include "cli/app.h"
#include "cli/args.h"

namespace ferry::cli {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// Runs the program in-process. Only for command lines that fail before any network use.
CliRun run(std::vector<std::string> args, Environment env = {}) {
  std::ostringstream out;
  std::ostringstream err;
  int code = run_cli(args, env, out, err, /*stdin_fd=*/-1);
  return {code, out.str(), err.str()};
}

void expect_usage_error(std::vector<std::string> args, std::string_view names) {
  CliRun r = run(args);
  SCOPED_TRACE(::testing::PrintToString(args));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.err.starts_with("ferry: ")) << r.err;
  EXPECT_NE(r.err.find(names), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Usage: ferry"), std::string::npos) << r.err;
}

Invocation parse_ok(std::vector<std::string> args) {
  auto inv = parse_command_line(args);
  EXPECT_TRUE(inv.ok()) << (inv.ok() ? "" : inv.error().message());
  return inv.ok() ? std::move(inv).value() : Invocation{};
}

TEST(Args, no_command_is_a_usage_error) {
  expect_usage_error({}, "missing command");
}

TEST(Args, unknown_command_is_named) {
  expect_usage_error({"bogus"}, "unknown command 'bogus'");
}

TEST(Args, group_without_subcommand_lists_the_subcommands) {
  expect_usage_error({"topic"}, "missing subcommand");
  expect_usage_error({"topic"}, "create, list, describe, delete, alter-config, add-partitions");
  expect_usage_error({"cluster"}, "missing subcommand");
}

TEST(Args, unknown_subcommand_is_named) {
  expect_usage_error({"topic", "bogus"}, "unknown subcommand 'bogus'");
}

TEST(Args, a_mistyped_command_gets_a_suggestion_and_a_nonsense_one_does_not) {
  expect_usage_error({"topci", "list"}, "unknown command 'topci' (did you mean 'topic'?)");
  expect_usage_error({"topic", "descrbe"},
                     "unknown subcommand 'descrbe' (did you mean 'describe'?)");
  expect_usage_error({"cluster", "quorom"}, "unknown subcommand 'quorom' (did you mean 'quorum'?)");
  CliRun far = run({"bogus"});
  EXPECT_EQ(far.err.find("did you mean"), std::string::npos) << far.err;
}

TEST(Args, unknown_long_flag_is_named) {
  expect_usage_error({"topic", "create", "t", "--bogus"}, "unknown flag '--bogus'");
  expect_usage_error({"topic", "create", "t", "--bogus=1"}, "unknown flag '--bogus=1'");
}

TEST(Args, unknown_short_flag_is_named) {
  expect_usage_error({"topic", "list", "-Z"}, "unknown flag '-Z'");
}

TEST(Args, flag_of_another_command_is_unknown) {
  expect_usage_error({"topic", "list", "--partitions", "3"}, "unknown flag '--partitions'");
}

TEST(Args, command_flag_before_the_command_is_named) {
  expect_usage_error({"-p", "3", "topic", "create", "t"}, "unknown flag '-p'");
}

TEST(Args, boolean_short_flag_with_trailing_characters_is_unknown) {
  expect_usage_error({"topic", "list", "-ix"}, "unknown flag '-ix'");
}

TEST(Args, boolean_flag_with_a_value_is_refused) {
  expect_usage_error({"topic", "create", "t", "--dry-run=yes"}, "'--dry-run' takes no value");
}

TEST(Args, flag_without_its_value_is_refused) {
  expect_usage_error({"topic", "create", "t", "-p"}, "flag '-p' needs a value (N)");
  expect_usage_error({"topic", "list", "--brokers"}, "flag '--brokers' needs a value");
}

TEST(Args, non_repeatable_flag_given_twice_is_refused) {
  expect_usage_error({"topic", "create", "t", "-p", "1", "--partitions", "2"},
                     "'--partitions' given more than once");
}

TEST(Args, missing_argument_is_named) {
  expect_usage_error({"topic", "create"}, "missing argument TOPIC...");
  expect_usage_error({"produce"}, "missing argument TOPIC");
}

TEST(Args, unexpected_argument_is_named) {
  expect_usage_error({"topic", "list", "extra"}, "unexpected argument 'extra'");
  expect_usage_error({"produce", "a", "b"}, "unexpected argument 'b'");
}

TEST(Args, error_message_starts_with_the_command_path) {
  CliRun r = run({"topic", "create", "t", "--bogus"});
  EXPECT_TRUE(r.err.starts_with("ferry: topic create: unknown flag '--bogus'\n")) << r.err;
  EXPECT_NE(r.err.find("Usage: ferry topic create TOPIC... [flags]"), std::string::npos);
  EXPECT_NE(r.err.find("Run 'ferry topic create --help'"), std::string::npos);
}

TEST(Args, bad_global_values_are_usage_errors) {
  expect_usage_error({"topic", "list", "--format", "xml"}, "--format: 'xml' is not table or json");
  expect_usage_error({"topic", "list", "--timeout", "5"}, "'5' is not a duration");
  expect_usage_error({"topic", "list", "--timeout", "0s"}, "out of range");
  expect_usage_error({"topic", "list", "--timeout", "5h"}, "'5h' is not a duration");
  expect_usage_error({"topic", "list", "-X", "novalue"}, "--rdkafka: 'novalue' is not KEY=VALUE");
  expect_usage_error({"topic", "list", "--brokers", ""}, "--brokers: the broker list is empty");
}

TEST(Args, unknown_librdkafka_property_is_a_usage_error) {
  expect_usage_error({"topic", "list", "-X", "no.such.property=1"}, "no.such.property");
}

TEST(Args, unreadable_profile_is_a_usage_error_naming_the_file) {
  Environment env;
  env.ferry_profile = "/nonexistent/ferry-profile";
  CliRun r = run({"topic", "list"}, env);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("/nonexistent/ferry-profile"), std::string::npos) << r.err;
}

TEST(Args, help_flag_or_command_prints_help_and_exits_zero) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                {"-h"},
                                                                {"help"},
                                                                {"topic", "--help"},
                                                                {"help", "topic"},
                                                                {"topic", "create", "--help"},
                                                                {"help", "topic", "create"},
                                                                {"consume", "-h"}}) {
    CliRun r = run(args);
    EXPECT_EQ(r.code, 0) << ::testing::PrintToString(args);
    EXPECT_NE(r.out.find("Usage: ferry"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
  }
}

TEST(Args, help_wins_over_other_problems_on_the_line) {
  CliRun r = run({"topic", "create", "--bogus", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Usage: ferry topic create"), std::string::npos);
}

TEST(Args, help_for_a_group_lists_its_commands) {
  CliRun r = run({"topic", "--help"});
  EXPECT_NE(r.out.find("topic alter-config"), std::string::npos);
  EXPECT_NE(r.out.find("topic add-partitions"), std::string::npos);
}

TEST(Args, command_help_shows_flags_and_global_flags) {
  CliRun r = run({"topic", "alter-config", "--help"});
  EXPECT_NE(r.out.find("--set KEY=VALUE (repeatable)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NOT incremental"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--brokers"), std::string::npos);
}

TEST(Args, help_for_an_unknown_command_is_a_usage_error) {
  expect_usage_error({"help", "bogus"}, "unknown command 'bogus'");
}

TEST(Args, global_flags_work_before_and_after_the_command) {
  Invocation before = parse_ok({"--format", "json", "--brokers=h:1", "topic", "list"});
  ASSERT_NE(before.command, nullptr);
  EXPECT_EQ(before.command->id, CommandId::kTopicList);
  EXPECT_EQ(*before.value("format"), "json");
  EXPECT_EQ(*before.value("brokers"), "h:1");
  Invocation after = parse_ok({"topic", "list", "--format", "json"});
  EXPECT_EQ(*after.value("format"), "json");
}

TEST(Args, values_may_be_inline_or_separate) {
  Invocation inv =
      parse_ok({"topic", "create", "t", "-p6", "--replicas=3", "-c", "a=1", "-c", "b=2"});
  EXPECT_EQ(*inv.value("partitions"), "6");
  EXPECT_EQ(*inv.value("replicas"), "3");
  EXPECT_EQ(inv.values("config"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(inv.args, (std::vector<std::string>{"t"}));
}

TEST(Args, flag_value_may_look_like_a_flag) {
  Invocation inv = parse_ok({"consume", "t", "--offset", "-5"});
  EXPECT_EQ(*inv.value("offset"), "-5");
}

TEST(Args, double_dash_ends_the_flags) {
  Invocation inv = parse_ok({"topic", "delete", "--", "-odd", "--also"});
  EXPECT_EQ(inv.args, (std::vector<std::string>{"-odd", "--also"}));
}

TEST(Args, flags_may_come_between_arguments) {
  Invocation inv = parse_ok({"topic", "create", "a", "-p", "2", "b"});
  EXPECT_EQ(inv.args, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace ferry::cli
