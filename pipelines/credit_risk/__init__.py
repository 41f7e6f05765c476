"""Credit-risk training pipeline: probability that an applicant defaults on a loan.

Steps (`steps.py`): ingest, validate, engineer features, split, tune, train, evaluate, fairness,
register. `local.py` chains them in one process; `pipeline.py` assembles the same functions as
KFP v2 components. Data is generated deterministically (`data.py`); `sex` is the sensitive
attribute: never a model input, always a fairness slice.
"""

MODEL_NAME = "credit-risk"
