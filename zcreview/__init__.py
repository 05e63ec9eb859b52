"""zcreview: a keyboard-driven terminal workstation for reviewing 职称 applications."""

__version__ = "0.1.0"
