"""The baselines by name: `METHODS["integrated_gradients"]`."""

from .input_x_gradient import input_x_gradient
from .integrated_gradients import integrated_gradients
from .lrp import lrp
from .occlusion import occlusion
from .saliency import gradient_saliency

METHODS = {
    "gradient_saliency": gradient_saliency,
    "input_x_gradient": input_x_gradient,
    "integrated_gradients": integrated_gradients,
    "occlusion": occlusion,
    "lrp": lrp,
}
