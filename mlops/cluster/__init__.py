"""A real Kubernetes control plane on one machine, for tests and for trying the platform's
objects against real admission: upstream kube-apiserver, kube-controller-manager,
kube-scheduler and etcd from the Go module proxy, nodes and pods simulated by kwok."""
