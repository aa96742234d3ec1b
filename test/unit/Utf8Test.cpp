//===- Utf8Test.cpp - U+FFFD repair by maximal subparts, and NFC ----------===//

#include "runtime/text/ByteLevel.h"
#include "runtime/text/Utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace {

const std::string R = "\xEF\xBF\xBD"; // U+FFFD

TEST(Utf8, RepairsMaximalSubparts) {
  // Unicode 15 §3.9, Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  EXPECT_EQ(axe::repairUtf8("a\xF1\x80\x80\xE1\x80\xC2" "b\x80" "c\x80\xBF" "d"),
            "a" + R + R + R + "b" + R + "c" + R + R + "d");
  EXPECT_EQ(axe::repairUtf8("\xC0\xAF"), R + R);             // overlong: C0 never starts a sequence
  EXPECT_EQ(axe::repairUtf8("\xE0\x80\xAF"), R + R + R);     // overlong 3-byte form
  EXPECT_EQ(axe::repairUtf8("\xED\xA0\x80"), R + R + R);     // a surrogate
  EXPECT_EQ(axe::repairUtf8("\xF4\x90\x80\x80"), R + R + R + R); // above U+10FFFF
  EXPECT_EQ(axe::repairUtf8("\xF0\x9F\x98"), R);             // truncated at the end: one
  EXPECT_EQ(axe::repairUtf8("\xF0\x9F\x98" "x"), R + "x");
  EXPECT_EQ(axe::repairUtf8("ok \xE2\x82\xAC"), "ok \xE2\x82\xAC");
  EXPECT_EQ(axe::repairUtf8(std::string("\0", 1)), std::string("\0", 1));
}

TEST(Utf8, IncompleteTailIsLeftWhenNotFinal) {
  std::string out;
  EXPECT_EQ(axe::appendRepairedUtf8("ab\xE2\x82", out, false), 2u);
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_EQ(axe::appendRepairedUtf8("ab\xE2\x41", out, false), 4u); // 41 cannot continue E2
  EXPECT_EQ(out, "ab" + R + "A");
}

TEST(Utf8, Validity) {
  EXPECT_TRUE(axe::isValidUtf8(""));
  EXPECT_TRUE(axe::isValidUtf8("\xF0\x9F\x98\x80 \xE4\xB8\xAD"));
  EXPECT_FALSE(axe::isValidUtf8("\xF0\x9F\x98"));
  EXPECT_FALSE(axe::isValidUtf8("\x80"));
}

TEST(Utf8, Nfc) {
  EXPECT_EQ(axe::nfc("e\xCC\x81"), "\xC3\xA9");                     // e + U+0301 -> U+00E9
  EXPECT_EQ(axe::nfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");  // Hangul jamo -> U+AC00
  EXPECT_EQ(axe::nfc("\xE2\x84\xAB"), "\xC3\x85");                  // ANGSTROM SIGN -> U+00C5
  EXPECT_EQ(axe::nfc("\xEF\xAC\x81"), "\xEF\xAC\x81");              // fi ligature: NFKC only
  EXPECT_EQ(axe::nfc(std::string("a\0\xCC\x81", 4)), std::string("a\0\xCC\x81", 4));
  EXPECT_EQ(axe::nfc("plain ascii"), "plain ascii");
}

TEST(ByteLevel, Alphabet) {
  EXPECT_EQ(axe::byteLevelCodepoint('!'), uint32_t('!'));
  EXPECT_EQ(axe::byteLevelCodepoint(0), 0x100u);
  EXPECT_EQ(axe::byteLevelCodepoint(' '), 0x120u); // "Ġ"
  EXPECT_EQ(axe::byteLevelCodepoint(0xAD), 0x143u);
  std::string all;
  for (int b = 0; b < 256; ++b)
    all.push_back(char(b));
  std::string back;
  ASSERT_TRUE(axe::byteLevelToBytes(axe::bytesToByteLevel(all), back));
  EXPECT_EQ(back, all);
  EXPECT_FALSE(axe::byteLevelToBytes("\xE4\xB8\xAD", back)); // U+4E2D is outside the alphabet
}

} // namespace
