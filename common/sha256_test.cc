#include "common/sha256.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace systole {
namespace {

TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(Sha256Hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(Sha256Hex(million.data(), million.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// Any split of the input into Update() calls gives the one-shot digest.
TEST(Sha256Test, IncrementalEqualsOneShot) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += static_cast<char>('a' + (i * 7) % 26);
  for (size_t n : {size_t{0}, size_t{1}, size_t{55}, size_t{56}, size_t{63}, size_t{64}, size_t{65}, size_t{300}}) {
    for (size_t step : {size_t{1}, size_t{3}, size_t{64}, size_t{100}}) {
      Sha256 h;
      for (size_t at = 0; at < n; at += step) h.Update(text.data() + at, std::min(step, n - at));
      const Sha256::Digest d = h.Finish();
      EXPECT_EQ(HexBytes(d.data(), d.size()), Sha256Hex(text.data(), n)) << "n " << n << " step " << step;
    }
  }
  Sha256 abc;
  abc.Update("ab", 2);
  abc.Update("c", 1);
  const Sha256::Digest d = abc.Finish();
  EXPECT_EQ(HexBytes(d.data(), d.size()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace systole
