import DLCCore
func registerShapeKernels(_ k: ReferenceKernels) {}
func registerIndexingKernels(_ k: ReferenceKernels) {}
func registerConvolutionKernels(_ k: ReferenceKernels) {}
func registerPoolingKernels(_ k: ReferenceKernels) {}
func registerNormalizationKernels(_ k: ReferenceKernels) {}
func registerLossKernels(_ k: ReferenceKernels) {}
func registerRandomKernels(_ k: ReferenceKernels) {}
