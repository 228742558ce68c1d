"""The layout rules each scene still breaks: the expected failures of tests/test_scenes.py.

``test_layout`` (the notebook's example) and ``test_layout_other_example`` (tests/layout_examples.py)
run every rule of :mod:`cnnviz.layout` on every scene; a (scene, rule) listed here is an expected
failure, **strict**: once a scene is fixed for a rule, its test passes, which fails the run until the
entry is deleted. So this list only shrinks. /work/briefs/layout_status.md details each problem
(which text, which size, which step). ``hidden`` is listed for every scene until it declares what it
shows (``CnnvizScene.must_show``).
"""

from __future__ import annotations

#: scene → the rules it still breaks with the notebook's example
KNOWN: dict[str, tuple[str, ...]] = {
    "RealGrayscaleToMatrixV2": ("edge", "too-small", "hidden", "notation"),
    "RGBAbstractTensor": ("overlap", "too-small", "hidden", "notation"),
    "TensorExplanationFastSimple": ("edge", "hidden"),
    "MLP_Style_NoText_Fixed": ("hidden",),
    "FlatteningSimple": ("overlap", "hidden"),
    "DigitShiftBig": ("hidden",),
    "STRATEGIE1": ("edge", "too-small", "hidden"),
    "STRATEGIE2": ("edge", "too-small", "hidden"),
    "MLPParameterCount": ("morph", "hidden", "notation"),
    "ConvExampleExplainedClean": ("overlap", "morph", "too-small", "hidden"),
    "Conv2FiltersExample": ("edge", "overlap", "morph", "too-small", "hidden"),
    "RGBConvStepByStepCentered": ("edge", "overlap", "morph", "too-small", "hidden"),
    "ConvDimensionsSimpleCentered": ("hidden", "notation"),
    "PaddingOneByOneEng": ("overlap", "morph", "hidden"),
    "Stride4x4Comparison": ("edge", "overlap", "morph", "hidden"),
    "KernelSizeAndDepthClean": ("edge", "morph", "hidden"),
    "OutputSizeFormula": ("morph", "hidden"),
    "ConvView_Final_Title_SharedBias": ("edge", "overlap", "morph", "hidden"),
    "ActivationFunctionStep": ("overlap", "hidden"),
    "SparseVsDense": ("morph", "hidden"),
    "DimensionExamplesSideBySide": ("edge", "hidden"),
    "TinyMaxPoolingFixed": ("overlap", "hidden"),
    "TinyCNN_ImageInput": ("edge", "too-small", "hidden"),
    "NeuralNetworkAnimation": ("edge", "overlap", "too-small", "cell-fit", "hidden"),
    "Dropout": ("overlap", "morph", "hidden", "notation"),
    "BatchNormStep": ("out-of-frame", "edge", "overlap", "morph", "hidden", "notation"),
    "MiniBatchTraining": ("morph", "hidden", "notation"),
    "TrainVsEval": ("edge", "overlap", "morph", "hidden", "notation"),
    "BackpropWeightSharing": ("overlap", "morph", "hidden", "notation"),
}

#: scene → the rules it still breaks with its other example (tests/layout_examples.py); every rule for a
#: scene without one (NO_OTHER_EXAMPLE there)
KNOWN_OTHER: dict[str, tuple[str, ...]] = {
    "RealGrayscaleToMatrixV2": ("out-of-frame", "edge", "too-small", "hidden", "notation"),
    "RGBAbstractTensor": ("overlap", "too-small", "hidden", "notation"),
    "TensorExplanationFastSimple": ("edge", "hidden"),
    "MLP_Style_NoText_Fixed": ("hidden",),
    "FlatteningSimple": ("edge", "overlap", "hidden"),
    "DigitShiftBig": ("hidden",),
    "STRATEGIE1": ("edge", "too-small", "hidden"),
    "STRATEGIE2": ("edge", "too-small", "hidden"),
    "MLPParameterCount": ("morph", "hidden"),
    "ConvExampleExplainedClean": ("overlap", "morph", "too-small", "hidden"),
    "Conv2FiltersExample": ("edge", "overlap", "morph", "too-small", "hidden"),
    "RGBConvStepByStepCentered": ("edge", "overlap", "morph", "too-small", "hidden"),
    "ConvDimensionsSimpleCentered": ("edge", "hidden", "notation"),
    "PaddingOneByOneEng": ("overlap", "morph", "hidden"),
    "Stride4x4Comparison": ("overlap", "morph", "hidden"),
    "KernelSizeAndDepthClean": ("edge", "morph", "hidden"),
    "OutputSizeFormula": ("out-of-frame", "edge", "overlap", "morph", "too-small", "cell-fit", "hidden", "notation", "pacing"),
    "ConvView_Final_Title_SharedBias": ("edge", "overlap", "morph", "hidden"),
    "ActivationFunctionStep": ("edge", "hidden"),
    "SparseVsDense": ("morph", "hidden"),
    "DimensionExamplesSideBySide": ("edge", "hidden"),
    "TinyMaxPoolingFixed": ("edge", "hidden"),
    "TinyCNN_ImageInput": ("edge", "too-small", "hidden"),
    "NeuralNetworkAnimation": ("out-of-frame", "overlap", "too-small", "cell-fit", "hidden"),
    "Dropout": ("overlap", "morph", "hidden", "notation"),
    "BatchNormStep": ("edge", "overlap", "morph", "hidden", "notation"),
    "MiniBatchTraining": ("morph", "hidden", "notation"),
    "TrainVsEval": ("overlap", "morph", "hidden", "notation"),
    "BackpropWeightSharing": ("overlap", "morph", "hidden", "notation"),
}


def unexpected(scene: str, problems: list) -> list:
    """The problems of ``scene`` (with any example) whose rule is not listed for it in either table: the
    extra examples of the chapter tests may break only what is already known."""
    known = set(KNOWN.get(scene, ())) | set(KNOWN_OTHER.get(scene, ()))
    return [p for p in problems if p.kind not in known]
