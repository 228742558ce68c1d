"""Scenes whose beats still lack their teacher's notes (``self.beat(note=...)``).

``tests/test_beats.py::test_every_beat_has_a_note`` expects these to fail (strictly: a scene
whose notes are all written passes, and then must leave this list). The list only shrinks;
when it is empty, delete this file's entries and keep the empty set.
"""

NOTES_MISSING = {
    # chapter 1
    "RealGrayscaleToMatrixV2", "RGBAbstractTensor", "TensorExplanationFastSimple", "MLP_Style_NoText_Fixed",
    "FlatteningSimple", "DigitShiftBig", "STRATEGIE1", "STRATEGIE2", "MLPParameterCount",
    # chapter 2
    "ConvExampleExplainedClean", "Conv2FiltersExample",
    "RGBConvStepByStepCentered", "ConvDimensionsSimpleCentered",
    "PaddingOneByOneEng", "Stride4x4Comparison", "KernelSizeAndDepthClean", "OutputSizeFormula",
    # chapter 3
    "ConvView_Final_Title_SharedBias", "ActivationFunctionStep", "SparseVsDense", "DimensionExamplesSideBySide",
    "TinyMaxPoolingFixed", "TinyCNN_ImageInput", "NeuralNetworkAnimation", "Dropout", "BatchNormStep",
    "MiniBatchTraining", "TrainVsEval", "BackpropWeightSharing",
}
