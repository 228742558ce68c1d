"""One example other than the notebook's for every scene: the keywords its data function is called with
in ``tests/test_scenes.py::test_layout_other_example`` (the scene must adapt its layout to them).

Taken from each chapter's own tests of its data (``tests/test_ch*.py``) where they had one, so the
numbers are already checked against an independent computation there. A scene with no sensible second
example yet is listed in :data:`NO_OTHER_EXAMPLE` with what is missing.
"""

from __future__ import annotations

import functools

import numpy as np

from cnnviz import images

_X6 = np.array([[1, 4, 0, 2, 3, 1], [2, 0, 5, 1, 0, 2], [3, 1, 2, 4, 1, 0],
                [0, 2, 1, 0, 3, 4], [1, 3, 0, 2, 1, 2], [4, 0, 2, 1, 0, 3]])
_RNG = np.random.default_rng(7)
_CHANNELS = [_RNG.integers(0, 6, (4, 4)) for _ in range(3)]
_SLICES = [_RNG.integers(-2, 3, (2, 2)) for _ in range(3)]

OTHER_EXAMPLES: dict[str, dict] = {
    # chapter 1
    "RealGrayscaleToMatrixV2": dict(photo="astronaut", box=None, factor=32, zoom_size=5),
    "RGBAbstractTensor": dict(photo="astronaut", box=(160, 80, 260, 180), factor=20),
    "TensorExplanationFastSimple": dict(scalar=7, vector=(3, 1, 4, 1, 5), box=(0, 0, 480, 480), factor=120,
                                        channel_counts=(1, 3, 64)),
    "MLP_Style_NoText_Fixed": dict(digit=7, n_shown=6),
    "FlatteningSimple": dict(photo="astronaut", box=(240, 60, 256, 80), factor=4, big_shape=(32, 32)),
    "DigitShiftBig": dict(digit=3, shift=4, threshold=100),
    "STRATEGIE1": dict(photo="astronaut", box=None, factor=16, first_pixels=3, first_rows=2),
    "STRATEGIE2": dict(photo="astronaut", background=(0, 0, 40, 40), regions=(
        ("edges", "the helmet's rim", (150, 30, 250, 110)), ("fur", "the hair", (170, 60, 230, 120)),
        ("whiskers", "the flag's stripes", (400, 100, 500, 200)))),
    "MLPParameterCount": dict(sizes=(3072, 512, 256, 128, 10), image_shape=(224, 224, 3), hidden=4096),
    # chapter 2
    "Architecture_1_Grey_1Filter": dict(n=6, f=3, stride=2, padding=1),
    "ConvExampleExplainedClean": dict(x=_X6[:5, :4], w=[[1, -1, 0], [2, 0, -1]], padding=1, n_explained=1),
    "Architecture_2_Grey_2Filters": dict(n=5, n_cols=4, f=2, f_cols=3, padding=1),
    "Conv2FiltersExample": dict(x=_X6[:4, :4], kernels=([[1, -1], [1, -1]], [[1, 1], [-1, -1]]), stride=2,
                                padding=1),
    "Architecture_3_RGB_1Filter": dict(n=6, f=2, stride=2),
    "RGBConvStepByStepCentered": dict(channels=_CHANNELS, kernel_slices=_SLICES, bias=-2, n_explained=1, stride=2,
                                      padding=1),
    "FullCNNSequence": dict(n=6, f=2, c=2, m=3, padding=1),
    "ConvDimensionsSimpleCentered": dict(n=9, f=4, c=1, m=3, bad_input=(5, 5, 2), bad_kernel=(3, 3, 4)),
    "PaddingOneByOneEng": dict(x=np.arange(16).reshape(4, 4) % 9, f=2, padding=1),
    "Stride4x4Comparison": dict(x=np.arange(25).reshape(5, 5) % 7, w=((1, 0, -1), (1, 0, -1), (1, 0, -1)),
                                strides=(1, 2)),
    "KernelSizeAndDepthClean": dict(n=9, sizes=(3, 7), c=1, m=8, stride=2, padding=1),
    "OutputSizeFormula": dict(example=(32, 5, 2, 2), floor_case=(10, 3, 1, 3)),
    "FeatureDetectionGray": dict(photo="astronaut", mode="L", factor=16, directions=("vertical", "horizontal"),
                                 patch_size=3),
    "FeatureDetectionRGB": dict(photo="astronaut", mode="RGB", box=None, factor=8,
                                directions=("vertical", "horizontal"), patch_size=1),
    # chapter 3
    "ConvView_Final_Title_SharedBias": dict(x=np.arange(12).reshape(4, 3) % 5 - 1,
                                            w=((1, 0, -1), (2, 1, 0), (0, -1, 1)), b=-2, stride=2, padding=1),
    "ActivationFunctionStep": dict(z=[[-1.5, 0.25, 3.0], [12.0, -0.5, 0.0], [-7.25, 2.0, -3.0]],
                                   activation="leaky_relu", slope=0.2),
    "SparseVsDense": dict(in_shape=(4, 4), kernel_shape=(3, 3)),
    "DimensionExamplesSideBySide": dict(first=(64, 64, 3, 16, 3), second=(15, 15, 16, 8, 5), stride=2, padding=1),
    "TinyMaxPoolingFixed": dict(x=(np.arange(36).reshape(6, 6) * 37) % 101, size=3, stride=2),
    "TinyCNN_ImageInput": dict(digit=3),
    "NeuralNetworkAnimation": dict(digit=6),
    "Dropout": dict(z=(4, 8, 12, 16), p=0.5, masks=((1, 1, 0, 0), (0, 1, 0, 1), (1, 1, 1, 0)), hidden=6, seed=7),
    "BatchNormStep": dict(x=((1, 4, 7), (3, 8, 7), (5, 0, 7), (7, 4, 7), (9, 4, 7)), gamma=(1.5, 1, 2), beta=(0.5, 0, -1),
                          eps=1e-3),
    "MiniBatchTraining": dict(dataset_size=1000, batch_size=12, epochs=3, image_size=32, channels=1, filters=4,
                              kernel_size=5, seed=4),
    "TrainingCurve": dict(network="mlp"),
    "TrainVsEval": dict(photo="astronaut", box=(180, 40, 340, 200), factor=4, pad=6, steps=2, batch_size=4,
                        n_batches=20, feature_mean=20.0, feature_std=5.0, z=(1.5, 2.0, 0.5, 3.0), p=0.25, seed=7),
    "BackpropWeightSharing": dict(x=((1, 0, 2, 1), (0, 3, 1, 2), (2, 1, 0, 1), (1, 2, 3, 0)),
                                  w=((1, 0, -1), (2, 1, 0), (0, -1, 1)), delta=((1, -2), (3, 1)), weight=(2, 2)),
}

#: Scenes whose data function cannot take a second example yet, and why (the test is an expected failure).
NO_OTHER_EXAMPLE: dict[str, str] = {
}


def with_example(scene_cls: type, **kwargs) -> type:
    """``scene_cls`` drawing its data function called with ``kwargs`` (bound keywords of a
    ``functools.partial`` data function, e.g. the architecture family's C and M, are kept)."""
    data = functools.partial(scene_cls.data, **kwargs)
    return type(scene_cls.__name__, (scene_cls,), {"data": staticmethod(data)})
