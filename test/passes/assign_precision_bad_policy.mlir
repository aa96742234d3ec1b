// axe-assign-precision: bad policies are reported before anything changes.
// RUN: not axe-opt %s --split-input-file --axe-assign-precision=policy=%S/Inputs/bad-role-policy.json 2>&1 | FileCheck %s --check-prefix=ROLE
// ROLE: error: axe-assign-precision: {{.+}}bad-role-policy.json: rules[0].roles names unknown role 'attention_q'
// RUN: not axe-opt %s --split-input-file --axe-assign-precision=policy=%S/Inputs/missing.json 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: axe-assign-precision: {{.+}}missing.json: cannot read the policy file (built-in policies: default, bf16, f32)
func.func @any(%x: tensor<?x64xbf16>) -> tensor<?x64xbf16> {
  return %x : tensor<?x64xbf16>
}
