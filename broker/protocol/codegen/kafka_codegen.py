#!/usr/bin/env python3
"""Generates Ferry's Kafka message structs and per-version codecs from *.kschema files.

Run by CMake at build time; the output goes to the build folder and is never committed.

The .kschema format (Ferry's own; see broker/protocol/README.md):

    # comment
    api Produce key=0 versions=0-11 flexible=9+

    request
      TransactionalId string v3+ nullable=v3+ default=null
      Acks int16
      TopicData []TopicProduceData
        Name string
        PartitionData []PartitionProduceData
          Index int32
          Records records nullable=v0+

    response
      ...
      CurrentLeader LeaderIdAndEpoch v10+ tag=0
        LeaderId int32 default=-1

A field line is `Name type [vN+|vN-M|vN] [nullable=<versions>] [tag=N] [default=X]`.
Types: bool int8 int16 int32 int64 uint16 float64 uuid string bytes records, `[]T` (T a
primitive or a struct declared by the indented lines below), or a struct name (indented body).
Versions default to every version of the message. `tag=N` makes the field a tagged field in
flexible versions. Two-space indentation nests fields into the struct of the line above.
"""

import argparse
import os
import re
import sys

PRIMITIVES = {
    "bool": ("bool", "false", "boolean"),
    "int8": ("int8_t", "0", "i8"),
    "int16": ("int16_t", "0", "i16"),
    "int32": ("int32_t", "0", "i32"),
    "int64": ("int64_t", "0", "i64"),
    "uint16": ("uint16_t", "0", "u16"),
    "float64": ("double", "0.0", "f64"),
    "uuid": ("Uuid", "", "uuid"),
}
VARIABLE = {"string", "bytes", "records"}
MAX_VERSION = 0x7FFF


class SchemaError(Exception):
    pass


def parse_versions(text, where):
    m = re.fullmatch(r"v?(\d+)(\+|-(\d+))?", text)
    if not m:
        raise SchemaError(f"{where}: bad version range '{text}'")
    lo = int(m.group(1))
    if m.group(2) is None:
        return (lo, lo)
    if m.group(2) == "+":
        return (lo, MAX_VERSION)
    hi = int(m.group(3))
    if hi < lo:
        raise SchemaError(f"{where}: empty version range '{text}'")
    return (lo, hi)


def snake(name):
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    s = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", s)
    return s.lower()


class Field:
    def __init__(self, name, type_text, versions, nullable, tag, default, where):
        self.name = name
        self.cpp_name = snake(name)
        self.versions = versions
        self.nullable = nullable  # (lo, hi) or None
        self.tag = tag
        self.default = default
        self.where = where
        self.is_array = type_text.startswith("[]")
        base = type_text[2:] if self.is_array else type_text
        self.base = base
        self.is_struct = base not in PRIMITIVES and base not in VARIABLE
        self.struct = None  # Struct when is_struct
        if self.is_struct and not re.fullmatch(r"[A-Z][A-Za-z0-9]*", base):
            raise SchemaError(f"{where}: unknown type '{type_text}'")

    def nullable_in_some_version(self):
        return self.nullable is not None

    def element_cpp_type(self):
        if self.is_struct:
            return self.base
        if self.base in PRIMITIVES:
            return PRIMITIVES[self.base][0]
        return {"string": "std::string", "bytes": "Bytes", "records": "Records"}[self.base]

    def cpp_type(self):
        t = self.element_cpp_type()
        if self.is_array:
            t = f"std::vector<{t}>"
        if self.nullable and self.base != "records":
            t = f"std::optional<{t}>"
        return t

    def initializer(self):
        """C++ default member initializer (including the braces), or ''."""
        d = self.default
        if self.is_array or self.is_struct:
            if self.nullable and d != "null":
                return " = " + self.element_cpp_type().join(["std::vector<", ">{}"]) if self.is_array else ""
            return ""
        if self.base == "records":
            return ""
        if self.base in ("string", "bytes"):
            if self.nullable:
                if d == "null":
                    return ""
                if self.base == "string":
                    return f' = std::string("{d or ""}")'
                return " = Bytes()"
            if d and d != "null" and self.base == "string":
                return f' = "{d}"'
            return ""
        if self.base == "uuid":
            return ""
        if d is not None:
            if self.base == "bool":
                if d not in ("true", "false"):
                    raise SchemaError(f"{self.where}: bool default must be true/false")
                return f" = {d}"
            return f" = {d}"
        return " = " + PRIMITIVES[self.base][1]


class Struct:
    def __init__(self, name):
        self.name = name
        self.fields = []


class Message:
    def __init__(self, api, kind, struct):
        self.api = api
        self.kind = kind  # "request" | "response"
        self.struct = struct
        self.name = api.name + ("Request" if kind == "request" else "Response")


class Api:
    def __init__(self, name, key, versions, flexible_from, path):
        self.name = name
        self.key = key
        self.versions = versions
        self.flexible_from = flexible_from
        self.path = path
        self.messages = []


def parse_schema(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    api = None
    current = None  # (Message, stack)
    stack = []  # list of (indent, Struct)
    for lineno, raw in enumerate(lines, 1):
        where = f"{path}:{lineno}"
        text = raw.split("#", 1)[0].rstrip()
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip(" "))
        words = text.split()
        if indent == 0:
            if words[0] == "api":
                attrs = dict(w.split("=", 1) for w in words[2:])
                try:
                    key = int(attrs["key"])
                    versions = parse_versions(attrs["versions"], where)
                except KeyError as e:
                    raise SchemaError(f"{where}: api line needs {e}")
                flexible = attrs.get("flexible", "none")
                flexible_from = -1 if flexible == "none" else parse_versions(flexible, where)[0]
                api = Api(words[1], key, versions, flexible_from, path)
            elif words[0] in ("request", "response"):
                if api is None:
                    raise SchemaError(f"{where}: '{words[0]}' before the api line")
                msg = Message(api, words[0], Struct(api.name + words[0].capitalize()))
                api.messages.append(msg)
                stack = [(0, msg.struct)]
            else:
                raise SchemaError(f"{where}: expected 'api', 'request' or 'response'")
            continue
        if indent % 2 != 0:
            raise SchemaError(f"{where}: indentation must be a multiple of two spaces")
        if not stack:
            raise SchemaError(f"{where}: field outside request/response")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if not stack:
            raise SchemaError(f"{where}: bad indentation")
        parent_indent, parent = stack[-1]
        if indent != parent_indent + 2:
            raise SchemaError(f"{where}: field indented too deep")
        field = parse_field(words, where, api)
        parent.fields.append(field)
        if field.is_struct:
            field.struct = Struct(field.base)
            stack.append((indent, field.struct))
    if api is None:
        raise SchemaError(f"{path}: no api line")
    for msg in api.messages:
        check_struct(msg.struct, api, f"{path}:{msg.kind}")
    return api


def parse_field(words, where, api):
    if len(words) < 2:
        raise SchemaError(f"{where}: a field needs a name and a type")
    name, type_text = words[0], words[1]
    versions = api.versions
    nullable = None
    tag = None
    default = None
    for w in words[2:]:
        if w.startswith("v") and "=" not in w:
            versions = parse_versions(w, where)
        elif w.startswith("nullable="):
            nullable = parse_versions(w.split("=", 1)[1], where)
        elif w.startswith("tag="):
            tag = int(w.split("=", 1)[1])
        elif w.startswith("default="):
            default = w.split("=", 1)[1]
        else:
            raise SchemaError(f"{where}: unknown attribute '{w}'")
    return Field(name, type_text, versions, nullable, tag, default, where)


def check_struct(struct, api, where):
    names = set()
    tags = set()
    for f in struct.fields:
        if f.cpp_name in names:
            raise SchemaError(f"{where}: duplicate field {f.name} in {struct.name}")
        names.add(f.cpp_name)
        if f.tag is not None:
            if api.flexible_from < 0 or f.versions[0] < api.flexible_from:
                raise SchemaError(f"{f.where}: tagged field outside flexible versions")
            if f.tag in tags:
                raise SchemaError(f"{f.where}: duplicate tag {f.tag}")
            tags.add(f.tag)
        if f.is_struct and not f.is_array and f.nullable:
            raise SchemaError(f"{f.where}: nullable struct fields are not supported")
        if f.is_struct:
            check_struct(f.struct, api, where)


def all_structs(struct):
    """Nested structs, deepest first, then `struct` itself."""
    out = []
    for f in struct.fields:
        if f.is_struct:
            out.extend(all_structs(f.struct))
    out.append(struct)
    return out


def version_cond(rng, var="version"):
    lo, hi = rng
    parts = []
    if lo > 0:
        parts.append(f"{var} >= {lo}")
    if hi < MAX_VERSION:
        parts.append(f"{var} <= {hi}")
    return " && ".join(parts) if parts else "true"


# ---------------------------------------------------------------------------------------------
# Code generation


class Gen:
    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        self.lines.append(line)

    def text(self):
        return "\n".join(self.lines) + "\n"


def gen_struct_decl(g, struct, indent, top_msg=None):
    pad = " " * indent
    g(f"{pad}struct {struct.name} {{")
    if top_msg is not None:
        api = top_msg.api
        g(f"{pad}  static constexpr int16_t kApiKey = {api.key};")
        g(f"{pad}  static constexpr int16_t kMinVersion = {api.versions[0]};")
        g(f"{pad}  static constexpr int16_t kMaxVersion = {api.versions[1]};")
        g(f"{pad}  // First flexible version (compact encoding, tagged fields); -1 if none.")
        g(f"{pad}  static constexpr int16_t kFlexibleFrom = {api.flexible_from};")
        g(f"{pad}  static constexpr const char* kName = \"{api.name}\";")
        g()
        for nested in all_structs(struct)[:-1]:
            gen_struct_decl(g, nested, indent + 2)
            g()
    for f in struct.fields:
        g(f"{pad}  {f.cpp_type()} {f.cpp_name}{f.initializer()};")
    g(f"{pad}  TaggedFields unknown_tagged_fields;")
    g()
    g(f"{pad}  bool operator==(const {struct.name}&) const = default;")
    if top_msg is not None:
        g()
        g(f"{pad}  // Decodes the body for `version`; failures are left in the reader (check r.ok()).")
        g(f"{pad}  void decode(Reader& r, int16_t version);")
        g(f"{pad}  void encode(Writer& w, int16_t version) const;")
    g(f"{pad}}};")


def qualified(msg, struct):
    return msg.name if struct is msg.struct else f"{msg.name}::{struct.name}"


def read_value_expr(f, nullable_now):
    """Expression reading one element (non-array view) of field f."""
    if f.base in PRIMITIVES:
        return f"r.{PRIMITIVES[f.base][2]}()"
    if f.base == "string":
        return "r.nullable_string(flexible)" if nullable_now else "r.string(flexible)"
    if f.base == "bytes":
        return "r.nullable_bytes(flexible)" if nullable_now else "r.bytes(flexible)"
    raise AssertionError(f.base)


def gen_read_field(g, msg, f, target, pad):
    """Reads field f into lvalue `target`."""
    nullable_cond = version_cond(f.nullable) if f.nullable else "false"
    if f.is_array:
        g(f"{pad}{{")
        g(f"{pad}  const int32_t n = r.array_length(flexible);")
        g(f"{pad}  if (n < 0) {{")
        if f.nullable:
            g(f"{pad}    if ({nullable_cond}) {{ {target}.reset(); }} else {{ r.fail(\"{f.name}: null array\"); }}")
        else:
            g(f"{pad}    r.fail(\"{f.name}: null array\");")
        g(f"{pad}  }} else {{")
        vec = f"{target}.emplace()" if f.nullable else f"{target}"
        g(f"{pad}    auto& vec = {vec};")
        g(f"{pad}    vec.clear();")
        g(f"{pad}    vec.reserve(static_cast<size_t>(n));")
        g(f"{pad}    for (int32_t i = 0; i < n && r.ok(); ++i) {{")
        if f.is_struct:
            g(f"{pad}      read_struct(r, vec.emplace_back(), version);")
        elif f.base == "records":
            raise SchemaError(f"{f.where}: arrays of records are not supported")
        else:
            g(f"{pad}      vec.push_back({read_value_expr(f, False)});")
        g(f"{pad}    }}")
        g(f"{pad}  }}")
        g(f"{pad}}}")
        return
    if f.is_struct:
        g(f"{pad}read_struct(r, {target}, version);")
    elif f.base == "records":
        g(f"{pad}{target} = r.records(flexible);")
        if f.nullable:
            g(f"{pad}if ({target}.is_null() && !({nullable_cond})) r.fail(\"{f.name}: null records\");")
        else:
            g(f"{pad}if ({target}.is_null()) r.fail(\"{f.name}: null records\");")
    elif f.base in ("string", "bytes"):
        if f.nullable:
            g(f"{pad}if ({nullable_cond}) {{")
            g(f"{pad}  {target} = {read_value_expr(f, True)};")
            g(f"{pad}}} else {{")
            g(f"{pad}  {target} = {read_value_expr(f, False)};")
            g(f"{pad}}}")
        else:
            g(f"{pad}{target} = {read_value_expr(f, False)};")
    else:
        g(f"{pad}{target} = {read_value_expr(f, False)};")


def write_value_stmt(f, expr, nullable_now):
    if f.base in PRIMITIVES:
        return f"w.{PRIMITIVES[f.base][2]}({expr});"
    if f.base == "string":
        return f"w.nullable_string({expr}, flexible);" if nullable_now else f"w.string({expr}, flexible);"
    if f.base == "bytes":
        return f"w.nullable_bytes({expr}, flexible);" if nullable_now else f"w.bytes({expr}, flexible);"
    raise AssertionError(f.base)


def gen_write_field(g, f, src, pad):
    nullable_cond = version_cond(f.nullable) if f.nullable else "false"
    if f.is_array:
        if f.nullable:
            g(f"{pad}if (!{src}.has_value()) {{")
            g(f"{pad}  w.array_length(-1, flexible);  // null; a non-nullable version writes null too")
            g(f"{pad}}} else {{")
            vec = f"(*{src})"
            inner = pad + "  "
        else:
            vec = src
            inner = pad
            g(f"{pad}{{")
            inner = pad + "  "
        g(f"{inner}w.array_length(static_cast<int32_t>({vec}.size()), flexible);")
        g(f"{inner}for (const auto& e : {vec}) {{")
        if f.is_struct:
            g(f"{inner}  write_struct(w, e, version);")
        else:
            g(f"{inner}  {write_value_stmt(f, 'e', False)}")
        g(f"{inner}}}")
        g(f"{pad}}}")
        return
    if f.is_struct:
        g(f"{pad}write_struct(w, {src}, version);")
    elif f.base == "records":
        g(f"{pad}w.records({src}, flexible);")
    elif f.base in ("string", "bytes"):
        if f.nullable:
            g(f"{pad}if ({nullable_cond}) {{")
            g(f"{pad}  {write_value_stmt(f, src, True)}")
            g(f"{pad}}} else {{")
            empty = "std::string()" if f.base == "string" else "Bytes()"
            g(f"{pad}  {write_value_stmt(f, f'{src}.has_value() ? *{src} : {empty}', False)}")
            g(f"{pad}}}")
        else:
            g(f"{pad}{write_value_stmt(f, src, False)}")
    else:
        g(f"{pad}{write_value_stmt(f, src, False)}")


def tagged_is_default_expr(f, src):
    """C++ expression that is true when tagged field f holds its default (and is not written)."""
    if f.is_array:
        if f.nullable:
            return f"!{src}.has_value()" if f.default == "null" else f"({src}.has_value() && {src}->empty())"
        return f"{src}.empty()"
    if f.is_struct:
        return f"({src} == std::remove_cvref_t<decltype({src})>{{}})"
    if f.base in ("string", "bytes"):
        if f.nullable:
            return f"!{src}.has_value()" if f.default == "null" else f"({src}.has_value() && {src}->empty())"
        return f"{src}.empty()"
    if f.base == "uuid":
        return f"{src}.is_zero()"
    if f.base == "records":
        return f"{src}.is_null()"
    d = f.default if f.default is not None else PRIMITIVES[f.base][1]
    return f"({src} == {d})"


def gen_struct_codec(g, msg, struct):
    q = qualified(msg, struct)
    api = msg.api
    regular = [f for f in struct.fields if f.tag is None]
    tagged = sorted([f for f in struct.fields if f.tag is not None], key=lambda f: f.tag)

    g(f"void read_struct(Reader& r, {q}& s, int16_t version) {{")
    g(f"  const bool flexible = is_flexible(version);")
    g(f"  (void)flexible;")
    for f in regular:
        cond = version_cond(f.versions)
        if cond == "true":
            gen_read_field(g, msg, f, f"s.{f.cpp_name}", "  ")
        else:
            g(f"  if ({cond}) {{")
            gen_read_field(g, msg, f, f"s.{f.cpp_name}", "    ")
            g(f"  }}")
    if api.flexible_from >= 0:
        g(f"  if (flexible) {{")
        g(f"    r.tagged_fields(s.unknown_tagged_fields, [&](uint32_t tag, Reader& r) -> bool {{")
        if tagged:
            g(f"      switch (tag) {{")
            for f in tagged:
                g(f"        case {f.tag}:")
                g(f"          if (!({version_cond(f.versions)})) return false;")
                gen_read_field(g, msg, f, f"s.{f.cpp_name}", "          ")
                g(f"          return true;")
            g(f"        default:")
            g(f"          return false;")
            g(f"      }}")
        else:
            g(f"      (void)tag;")
            g(f"      (void)r;")
            g(f"      return false;")
        g(f"    }});")
        g(f"  }}")
    g(f"}}")
    g()
    g(f"void write_struct(Writer& w, const {q}& s, int16_t version) {{")
    g(f"  const bool flexible = is_flexible(version);")
    g(f"  (void)flexible;")
    for f in regular:
        cond = version_cond(f.versions)
        if cond == "true":
            gen_write_field(g, f, f"s.{f.cpp_name}", "  ")
        else:
            g(f"  if ({cond}) {{")
            gen_write_field(g, f, f"s.{f.cpp_name}", "    ")
            g(f"  }}")
    if api.flexible_from >= 0:
        g(f"  if (flexible) {{")
        g(f"    TaggedFieldsWriter tags;")
        for f in tagged:
            src = f"s.{f.cpp_name}"
            g(f"    if (({version_cond(f.versions)}) && !{tagged_is_default_expr(f, src)}) {{")
            g(f"      Writer& w2 = tags.begin({f.tag});")
            g(f"      {{")
            g(f"        Writer& w = w2;")
            gen_write_field(g, f, src, "        ")
            g(f"      }}")
            g(f"    }}")
        g(f"    tags.finish(w, s.unknown_tagged_fields);")
        g(f"  }}")
    g(f"}}")
    g()


def generate(api, out_dir, stem):
    h = Gen()
    h(f"// Generated by broker/protocol/codegen/kafka_codegen.py from {os.path.basename(api.path)}.")
    h("// Do not edit: change the .kschema file instead.")
    h("#pragma once")
    h()
    h('#include "broker/protocol/codec.h"')
    h()
    h("namespace ferry::broker::kafka {")
    h()
    for msg in api.messages:
        gen_struct_decl(h, msg.struct, 0, top_msg=msg)
        h()
    h("}  // namespace ferry::broker::kafka")

    c = Gen()
    c(f"// Generated by broker/protocol/codegen/kafka_codegen.py from {os.path.basename(api.path)}.")
    c(f'#include "{stem}.h"')
    c()
    c("namespace ferry::broker::kafka {")
    c("namespace {")
    c()
    c(f"constexpr bool is_flexible(int16_t version) {{")
    if api.flexible_from < 0:
        c("  (void)version;")
        c("  return false;")
    else:
        c(f"  return version >= {api.flexible_from};")
    c("}")
    c()
    for msg in api.messages:
        for s in all_structs(msg.struct):
            c(f"void read_struct(Reader& r, {qualified(msg, s)}& s, int16_t version);")
            c(f"void write_struct(Writer& w, const {qualified(msg, s)}& s, int16_t version);")
    c()
    for msg in api.messages:
        for s in all_structs(msg.struct):
            gen_struct_codec(c, msg, s)
    c("}  // namespace")
    c()
    for msg in api.messages:
        c(f"void {msg.name}::decode(Reader& r, int16_t version) {{ read_struct(r, *this, version); }}")
        c(f"void {msg.name}::encode(Writer& w, int16_t version) const {{ write_struct(w, *this, version); }}")
    c()
    c("}  // namespace ferry::broker::kafka")

    write_if_changed(os.path.join(out_dir, stem + ".h"), h.text())
    write_if_changed(os.path.join(out_dir, stem + ".cc"), c.text())


def generate_index(apis, out_dir):
    g = Gen()
    g("// Generated by broker/protocol/codegen/kafka_codegen.py: every API described by a .kschema.")
    g("#pragma once")
    g()
    g("#include <cstdint>")
    g()
    for api, stem in apis:
        g(f'#include "{stem}.h"')
    g()
    g("namespace ferry::broker::kafka {")
    g()
    g("// Kafka API keys of the messages Ferry's codec knows.")
    g("enum class ApiKey : int16_t {")
    for api, _ in sorted(apis, key=lambda a: a[0].key):
        g(f"  {api.name} = {api.key},")
    g("};")
    g()
    g("struct ApiSchemaInfo {")
    g("  int16_t key;")
    g("  const char* name;")
    g("  int16_t min_version;  // versions the codec can encode and decode")
    g("  int16_t max_version;")
    g("  int16_t flexible_from;  // -1: never flexible")
    g("};")
    g()
    g("inline constexpr ApiSchemaInfo kApiSchemas[] = {")
    for api, _ in sorted(apis, key=lambda a: a[0].key):
        g(f'    {{{api.key}, "{api.name}", {api.versions[0]}, {api.versions[1]}, {api.flexible_from}}},')
    g("};")
    g()
    for kind in ("request", "response"):
        g(f"// Calls f.template operator()<T>() with the {kind} type of `api_key`; false if unknown.")
        g("template <typename F>")
        g(f"bool with_{kind}_type(int16_t api_key, F&& f) {{")
        g("  switch (api_key) {")
        for api, _ in sorted(apis, key=lambda a: a[0].key):
            suffix = "Request" if kind == "request" else "Response"
            g(f"    case {api.key}:")
            g(f"      f.template operator()<{api.name}{suffix}>();")
            g("      return true;")
        g("    default:")
        g("      return false;")
        g("  }")
        g("}")
        g()
    g("}  // namespace ferry::broker::kafka")
    write_if_changed(os.path.join(out_dir, "messages.h"), g.text())
    generate_testing(apis, out_dir)


def gen_random_field(g, f, target, pad):
    nullable_cond = version_cond(f.nullable) if f.nullable else "false"
    if f.is_array:
        g(f"{pad}if (({nullable_cond}) && rng.chance(0.2)) {{")
        if f.nullable:
            g(f"{pad}  {target}.reset();")
        g(f"{pad}}} else {{")
        vec = f"{target}.emplace()" if f.nullable else target
        g(f"{pad}  auto& vec = {vec};")
        g(f"{pad}  vec.clear();")
        g(f"{pad}  const int n = static_cast<int>(rng.uniform(depth > 3 ? 1 : 4));")
        g(f"{pad}  for (int i = 0; i < n; ++i) {{")
        if f.is_struct:
            g(f"{pad}    randomize_struct(vec.emplace_back(), rng, version, depth + 1);")
        else:
            g(f"{pad}    vec.push_back(random_{f.base}(rng));")
        g(f"{pad}  }}")
        g(f"{pad}}}")
        return
    if f.is_struct:
        g(f"{pad}randomize_struct({target}, rng, version, depth + 1);")
    elif f.base == "records":
        g(f"{pad}{target} = (({nullable_cond}) && rng.chance(0.2)) ? Records() : random_records(rng);")
    elif f.base in ("string", "bytes"):
        if f.nullable:
            g(f"{pad}if (({nullable_cond}) && rng.chance(0.2)) {{")
            g(f"{pad}  {target}.reset();")
            g(f"{pad}}} else {{")
            g(f"{pad}  {target} = random_{f.base}(rng);")
            g(f"{pad}}}")
        else:
            g(f"{pad}{target} = random_{f.base}(rng);")
    else:
        g(f"{pad}{target} = random_{f.base}(rng);")


def generate_testing(apis, out_dir):
    """Test support: fill a message with random values valid for one version."""
    h = Gen()
    h("// Generated by broker/protocol/codegen/kafka_codegen.py: random messages for property tests.")
    h("#pragma once")
    h()
    h('#include "broker/protocol/generated/messages.h"')
    h('#include "common/random.h"')
    h()
    h("namespace ferry::broker::kafka::testing {")
    h()
    for api, _ in apis:
        for msg in api.messages:
            h(f"void randomize({msg.name}& m, ferry::Random& rng, int16_t version);")
    h()
    h("}  // namespace ferry::broker::kafka::testing")
    write_if_changed(os.path.join(out_dir, "testing.h"), h.text())

    c = Gen()
    c("// Generated by broker/protocol/codegen/kafka_codegen.py.")
    c('#include "broker/protocol/generated/testing.h"')
    c()
    c("namespace ferry::broker::kafka::testing {")
    c("namespace {")
    c()
    c("[[maybe_unused]] bool random_bool(ferry::Random& rng) { return rng.chance(0.5); }")
    c("[[maybe_unused]] int8_t random_int8(ferry::Random& rng) { return static_cast<int8_t>(rng.range(-128, 127)); }")
    c("int16_t random_int16(ferry::Random& rng) { return static_cast<int16_t>(rng.range(-2, 3000)); }")
    c("[[maybe_unused]] uint16_t random_uint16(ferry::Random& rng) { return static_cast<uint16_t>(rng.uniform(65536)); }")
    c("int32_t random_int32(ferry::Random& rng) { return static_cast<int32_t>(rng.range(-2, 1 << 30)); }")
    c("int64_t random_int64(ferry::Random& rng) { return rng.range(-2, int64_t{1} << 50); }")
    c("[[maybe_unused]] double random_float64(ferry::Random& rng) { return rng.next_double(); }")
    c("Uuid random_uuid(ferry::Random& rng) {")
    c("  Uuid u;")
    c("  for (auto& b : u.bytes) b = static_cast<uint8_t>(rng.next_u64());")
    c("  return u;")
    c("}")
    c("std::string random_string(ferry::Random& rng) {")
    c("  std::string s(rng.uniform(12), 'a');")
    c("  for (auto& ch : s) ch = static_cast<char>('a' + rng.uniform(26));")
    c("  return s;")
    c("}")
    c("Bytes random_bytes(ferry::Random& rng) {")
    c("  Bytes b(rng.uniform(20));")
    c("  for (auto& x : b) x = static_cast<uint8_t>(rng.next_u64());")
    c("  return b;")
    c("}")
    c("Records random_records(ferry::Random& rng) { return Records::owned(random_bytes(rng)); }")
    c()
    for api, _ in apis:
        for msg in api.messages:
            for st in all_structs(msg.struct):
                c(f"void randomize_struct({qualified(msg, st)}& s, ferry::Random& rng, int16_t version, int depth);")
    c()
    for api, _ in apis:
        for msg in api.messages:
            for st in all_structs(msg.struct):
                c(f"void randomize_struct({qualified(msg, st)}& s, ferry::Random& rng, int16_t version, int depth) {{")
                c("  (void)rng;")
                c("  (void)version;")
                c("  (void)depth;")
                for f in st.fields:
                    cond = version_cond(f.versions)
                    if f.tag is not None:
                        cond = f"{cond} && {version_cond((api.flexible_from, MAX_VERSION))}"
                    c(f"  if ({cond}) {{")
                    gen_random_field(c, f, f"s.{f.cpp_name}", "    ")
                    c("  }")
                c("}")
                c()
    c("}  // namespace")
    c()
    for api, _ in apis:
        for msg in api.messages:
            c(f"void randomize({msg.name}& m, ferry::Random& rng, int16_t version) {{")
            c("  randomize_struct(m, rng, version, 0);")
            c("}")
    c()
    c("}  // namespace ferry::broker::kafka::testing")
    write_if_changed(os.path.join(out_dir, "testing.cc"), c.text())


def write_if_changed(path, text):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("schemas", nargs="+")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    apis = []
    keys = {}
    try:
        for path in args.schemas:
            api = parse_schema(path)
            if api.key in keys:
                raise SchemaError(f"{path}: api key {api.key} also in {keys[api.key]}")
            keys[api.key] = path
            stem = snake(api.name)
            generate(api, args.out, stem)
            apis.append((api, stem))
        generate_index(apis, args.out)
    except SchemaError as e:
        print(f"kafka_codegen: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
