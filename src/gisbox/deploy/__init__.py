"""Where images run beyond one container: a Dask cluster on this machine (`cluster`, its
containers in `containers`) and Kubernetes manifests (`k8s`)."""
