//===- WeightTable.cpp - the weights of a compiled step -------------------===//

#include "models/WeightTable.h"

#include "dialects/axe/AxeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>
#include <set>

namespace axe {

namespace {

namespace ir = mlir::axe;

ParamEncoding encodingOf(ir::ParamOp p) {
  auto e = p.getEncoding();
  if (!e)
    return ParamEncoding::None;
  switch (*e) {
  case ir::Encoding::fp8_channel: return ParamEncoding::Fp8Channel;
  case ir::Encoding::fp8_channel_scale: return ParamEncoding::Fp8ChannelScale;
  case ir::Encoding::fp8_block: return ParamEncoding::Fp8Block;
  case ir::Encoding::fp8_block_scale: return ParamEncoding::Fp8BlockScale;
  }
  return ParamEncoding::None;
}

std::vector<std::string> partsOf(ir::ParamOp p) {
  std::vector<std::string> out;
  if (auto parts = p.getParts())
    for (mlir::Attribute a : *parts)
      out.push_back(mlir::cast<mlir::StringAttr>(a).getValue().str());
  return out;
}

// The role of `use` in its op (WeightOwnerOpInterface); other ops' params (norm weights, conv
// weights, ...) are named by their op.
std::string roleOf(mlir::OpOperand &use) {
  mlir::Operation *op = use.getOwner();
  if (auto owner = mlir::dyn_cast<ir::WeightOwnerOpInterface>(op))
    if (std::optional<ir::Role> role = owner.getWeightRole(use.getOperandNumber()))
      return ir::stringifyRole(*role).str();
  return op->getName().stripDialect().str();
}

} // namespace

DType dtypeOf(mlir::Type t) {
  if (t.isBF16()) return DType::BF16;
  if (t.isF16()) return DType::F16;
  if (t.isF32()) return DType::F32;
  if (mlir::isa<mlir::Float8E4M3FNType>(t)) return DType::F8_E4M3;
  if (t.isInteger(32)) return DType::I32;
  if (t.isInteger(64)) return DType::I64;
  if (t.isInteger(8)) return DType::I8;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  throw Error("a weight of element type " + s + " cannot be stored");
}

mlir::Type elementTypeOf(DType dtype, mlir::MLIRContext *ctx) {
  switch (dtype) {
  case DType::BF16: return mlir::BFloat16Type::get(ctx);
  case DType::F16: return mlir::Float16Type::get(ctx);
  case DType::F32: return mlir::Float32Type::get(ctx);
  case DType::F8_E4M3: return mlir::Float8E4M3FNType::get(ctx);
  case DType::I32: return mlir::IntegerType::get(ctx, 32);
  case DType::I64: return mlir::IntegerType::get(ctx, 64);
  case DType::I8: return mlir::IntegerType::get(ctx, 8);
  default: break;
  }
  throw Error(std::string("no IR element type for ") + dtypeName(dtype));
}

std::vector<WeightEntry> collectWeights(mlir::ModuleOp module) {
  std::vector<ir::ParamOp> params;
  module.walk([&](ir::ParamOp p) { params.push_back(p); });

  // Scales need the shape of the weight they derive from: its FP8 values' param.
  std::map<std::pair<std::string, std::vector<std::string>>, std::vector<int64_t>> valueShapes;
  for (ir::ParamOp p : params) {
    ParamEncoding e = encodingOf(p);
    if (e == ParamEncoding::Fp8Channel || e == ParamEncoding::Fp8Block) {
      auto shape = p.getType().getShape();
      valueShapes[{p.getName().str(), partsOf(p)}] = {shape.begin(), shape.end()};
    }
  }

  std::vector<WeightEntry> table;
  std::set<std::string> seen;
  for (ir::ParamOp p : params) {
    WeightEntry w;
    w.desc = paramDesc(p);
    if (w.isScale()) {
      auto it = valueShapes.find({w.desc.name, w.desc.parts});
      if (it == valueShapes.end())
        throw Error("param '" + w.desc.name + "' holds FP8 scales but its FP8 values are not in the IR");
      w.desc.weightShape = it->second;
    }
    if (!seen.insert(artifactWeightName(w.desc)).second)
      continue;

    w.precision = llvm::StringRef(dtypeName(w.desc.dtype)).lower();
    w.rule = "not a policy weight: kept as the checkpoint stores it, computed in f32";
    for (mlir::OpOperand &use : p->getUses()) {
      w.role = roleOf(use);
      mlir::Operation *user = use.getOwner();
      if (auto prec = user->getAttrOfType<ir::PrecisionAttr>(ir::kPrecisionAttr)) {
        w.precision = ir::stringifyPrecision(prec.getValue()).str();
        if (auto rule = user->getAttrOfType<mlir::StringAttr>(mlir::axe::kPrecisionRuleAttr))
          w.rule = rule.getValue().str();
        break;
      }
    }
    if (w.isScale())
      w.precision = "fp8-scale";
    table.push_back(std::move(w));
  }
  return table;
}

ParamDesc paramDesc(mlir::Operation *op) {
  auto p = mlir::cast<ir::ParamOp>(op);
  ParamDesc d;
  d.name = p.getName().str();
  d.parts = partsOf(p);
  d.encoding = encodingOf(p);
  d.dtype = dtypeOf(p.getType().getElementType());
  d.shape.assign(p.getType().getShape().begin(), p.getType().getShape().end());
  d.weightShape = d.shape;
  return d;
}

std::string artifactWeightName(const ParamDesc &d) {
  static const char *encodings[] = {"", "#fp8_channel", "#fp8_channel_scale", "#fp8_block",
                                    "#fp8_block_scale"};
  // The shape is part of the name: the same tensor may be stored whole and as a view.
  std::string shape;
  for (int64_t x : d.shape)
    shape += "x" + std::to_string(x);
  return d.name + encodings[static_cast<int>(d.encoding)] + "#" + dtypeName(d.dtype) + "#" +
         shape.substr(1);
}

StateSizes collectStateSizes(mlir::ModuleOp module) {
  StateSizes s;
  module.walk([&](mlir::func::FuncOp func) {
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto kind = func.getArgAttrOfType<mlir::axe::StepValueAttr>(i, mlir::axe::kStepValueAttr);
      auto type = mlir::dyn_cast<mlir::RankedTensorType>(func.getArgument(i).getType());
      if (!kind || !type || kind.getValue() == mlir::axe::StepValue::input)
        continue;
      bool kvCache = kind.getValue() == mlir::axe::StepValue::kv_cache;
      uint64_t perEntry = 1; // elements per token (caches: [NB, block, ...]) or per sequence (states)
      for (int64_t d : type.getShape().drop_front(kvCache ? 2 : 1))
        perEntry *= static_cast<uint64_t>(d);
      uint64_t elem = dtypeSize(dtypeOf(type.getElementType()));
      if (kvCache) {
        s.kvBytesPerTokenBf16 += perEntry * 2;
        s.kvBytesPerTokenFp8 += perEntry;
        s.kvBytesPerToken += perEntry * elem;
      } else {
        s.recurrentBytesPerSequence += perEntry * elem;
      }
    }
  });
  return s;
}

} // namespace axe
