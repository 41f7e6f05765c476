"""Model monitoring (Zwiesler 2.4): drift of logged inputs against the training reference,
Prometheus metrics, and the feedback into the audit log and retraining."""
