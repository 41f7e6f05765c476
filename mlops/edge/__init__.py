"""The platform's edge: which services the gateway exposes, and the Envoy Gateway policy objects
that authenticate and authorize every request to them (built from `StackConfig.edge`)."""
