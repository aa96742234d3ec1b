//===- DialectTest.cpp - unit tests of the axe dialect's C++ API ----------===//
//
// What lit cannot see: ops built through the C++ builders (as the importer builds them) verify
// or fail with the named rule, and the role enum round-trips through its string form (the
// precision policy files name roles as strings).
//
//===----------------------------------------------------------------------===//

#include "dialects/axe/AxeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

class AxeDialectTest : public ::testing::Test {
protected:
  AxeDialectTest() : builder(&context) {
    context.loadDialect<axe::AxeDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  Value param(StringRef name, ArrayRef<int64_t> shape, Type elem) {
    return axe::ParamOp::create(builder, builder.getUnknownLoc(),
                                RankedTensorType::get(shape, elem), name)
        .getResult();
  }

  // Verifies `op`, returning the first diagnostic (empty if it verified).
  std::string verifyMessage(Operation *op) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      if (message.empty())
        message = d.str();
      return success();
    });
    if (succeeded(verify(op)))
      return "";
    return message;
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(AxeDialectTest, RoleNamesRoundTrip) {
  for (uint32_t i = 0; i <= axe::getMaxEnumValForRole(); ++i) {
    auto role = static_cast<axe::Role>(i);
    std::optional<axe::Role> back = axe::symbolizeRole(axe::stringifyRole(role));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, role);
  }
  EXPECT_FALSE(axe::symbolizeRole("attn_qq").has_value());
}

TEST_F(AxeDialectTest, BuiltLinearVerifies) {
  Type bf16 = builder.getBF16Type();
  Value x = param("x", {4, 64}, bf16);
  Value w = param("w", {32, 64}, bf16);
  auto linear = axe::LinearOp::create(builder, builder.getUnknownLoc(),
                                      RankedTensorType::get({4, 32}, bf16), x, w,
                                      axe::RoleAttr::get(&context, axe::Role::attn_k));
  EXPECT_EQ(verifyMessage(linear), "");
}

TEST_F(AxeDialectTest, BuiltLinearWithWrongKNamesTheRule) {
  Type bf16 = builder.getBF16Type();
  Value x = param("x", {4, 64}, bf16);
  Value w = param("w", {32, 48}, bf16);
  auto linear = axe::LinearOp::create(builder, builder.getUnknownLoc(),
                                      RankedTensorType::get({4, 32}, bf16), x, w,
                                      axe::RoleAttr::get(&context, axe::Role::attn_k));
  std::string message = verifyMessage(linear);
  EXPECT_NE(message.find("rule 'linear.k_match'"), std::string::npos) << message;
}

TEST_F(AxeDialectTest, DynamicParamShapeIsRejected) {
  Value p = param("p", {ShapedType::kDynamic, 8}, builder.getF32Type());
  std::string message = verifyMessage(p.getDefiningOp());
  EXPECT_NE(message.find("rule 'param.static_shape'"), std::string::npos) << message;
}

} // namespace
