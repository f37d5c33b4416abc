#include "tests/delegate_util.h"

#include "interpreter/interpreter.h"
#include "interpreter/model.h"
#include "interpreter/op_resolver.h"
#include "interpreter/tensor_io.h"

namespace systole {
namespace testing {

StatusOr<DelegatedRun> RunWithDelegate(const std::vector<uint8_t>& model_bytes, uint32_t seed,
                                       const delegate::DelegateOptions& options,
                                       const std::string& name) {
  ASSIGN_OR_RETURN(std::unique_ptr<Model> model, Model::FromBuffer(model_bytes, name));
  BuiltinOpResolver resolver(options.tflite_flavor);  // the host TFLite the delegate stands in
  resolver.AddCustom(compiler::kCustomOpName, *delegate::SystoleCustomOpRegistration());
  ASSIGN_OR_RETURN(delegate::TfLiteDelegatePtr d, delegate::CreateDelegate(options));
  ASSIGN_OR_RETURN(std::unique_ptr<Interpreter> interp, Interpreter::Create(*model, resolver));
  RETURN_IF_ERROR(interp->ModifyGraphWithDelegate(d.get()));
  RETURN_IF_ERROR(interp->AllocateTensors());
  RETURN_IF_ERROR(FillInputsFromSeed(interp.get(), seed));
  DelegatedRun r;
  for (int t : interp->inputs()) {
    const TfLiteTensor* tt = interp->tensor(t);
    const auto* p = reinterpret_cast<const uint8_t*>(tt->data.raw_const);
    r.result.inputs.emplace_back(p, p + tt->bytes);
  }
  RETURN_IF_ERROR(interp->Invoke());
  for (int t : interp->outputs()) {
    const TfLiteTensor* tt = interp->tensor(t);
    const auto* p = reinterpret_cast<const uint8_t*>(tt->data.raw_const);
    r.result.outputs.emplace_back(p, p + tt->bytes);
  }
  const delegate::PartitionPlan* plan = delegate::LastPlan(d.get());
  r.accelerator_ops = plan->accelerator_ops;
  r.cpu_ops = plan->cpu_ops;
  r.partitions = static_cast<int>(plan->partitions.size());
  r.counters = delegate::Counters(d.get());
  r.plan = delegate::FormatPlan(*plan);
  return r;
}

}  // namespace testing
}  // namespace systole
