// The op list (op_list.inc) against what is written about it: the op table
// of docs/compiler.md and the one-file-per-family layout of compiler/ops/.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/ops/op.h"
#include "schema/tflite_generated.h"

namespace systole::compiler {
namespace {

std::string FamilyFile(const std::string& family) {
  std::string f;
  for (char c : family) {
    if (std::isupper(static_cast<unsigned char>(c)) && !f.empty()) f += '_';
    f += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return f + ".cc";
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

struct DocRow {
  std::vector<std::string> ops;
  std::string file;
};

// The rows of the table under "## What runs on the accelerator": the
// operators of the first cell ("ADD, SUB, MUL"; a parenthesised qualifier is
// dropped) and the file named in the last.
std::vector<DocRow> DocTable() {
  std::ifstream in(std::string(SYSTOLE_SOURCE_DIR) + "/docs/compiler.md");
  std::string line;
  bool section = false;
  std::vector<DocRow> rows;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) section = line == "## What runs on the accelerator";
    if (!section || line.rfind("| ", 0) != 0 || line.rfind("| operator ", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) cells.push_back(Trim(cell));
    DocRow row;
    std::stringstream names(std::regex_replace(cells.front(), std::regex(R"(\s*\([^)]*\))"), ""));
    std::string name;
    while (std::getline(names, name, ',')) row.ops.push_back(Trim(name));
    row.file = std::regex_replace(cells.back(), std::regex("`"), "");
    rows.push_back(row);
  }
  return rows;
}

TEST(OpList, DocsTableListsExactlyTheOpsInListOrderWithTheirFiles) {
  const std::vector<DocRow> rows = DocTable();
  ASSERT_FALSE(rows.empty()) << "no op table in docs/compiler.md";
  std::vector<std::string> doc_order;
  std::set<std::string> seen;
  for (const DocRow& row : rows)
    for (const std::string& op : row.ops) {
      const OpEntry* e = nullptr;
      for (const OpEntry& x : OpTable())
        if (op == x.name) e = &x;
      ASSERT_NE(e, nullptr) << "docs/compiler.md lists " << op << ", which is not in compiler/ops/op_list.inc";
      EXPECT_EQ(row.file, FamilyFile(e->family)) << op;
      if (seen.insert(op).second) doc_order.push_back(op);
    }
  std::vector<std::string> list_order;
  for (const OpEntry& e : OpTable()) list_order.push_back(e.name);
  EXPECT_EQ(doc_order, list_order) << "docs/compiler.md's op table must list op_list.inc's ops in its order";
}

TEST(OpList, EveryFamilyHasItsFileAndEveryCodeOneEntry) {
  std::set<int32_t> codes;
  for (const OpEntry& e : OpTable()) {
    EXPECT_TRUE(codes.insert(e.builtin_code).second) << e.name << " listed twice";
    EXPECT_STREQ(tflite::EnumNameBuiltinOperator(static_cast<tflite::BuiltinOperator>(e.builtin_code)), e.name);
    EXPECT_TRUE(std::filesystem::exists(std::string(SYSTOLE_SOURCE_DIR) + "/compiler/ops/" + FamilyFile(e.family)))
        << e.family;
    EXPECT_EQ(FindOp(e.builtin_code), &e);
  }
  EXPECT_EQ(FindOp(tflite::BuiltinOperator_UNIDIRECTIONAL_SEQUENCE_LSTM), nullptr);
  EXPECT_EQ(FindOp(tflite::BuiltinOperator_CUSTOM), nullptr);
}

TEST(OpList, SupportedMessageNamesEveryOpInOrder) {
  std::string want;
  for (const OpEntry& e : OpTable()) want += std::string(want.empty() ? "" : ", ") + e.name;
  EXPECT_EQ(SupportedOpNames(), want);
  EXPECT_EQ(SupportedOpNames().rfind("CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED", 0), 0u);
}

}  // namespace
}  // namespace systole::compiler
