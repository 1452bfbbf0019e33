/**
 * Joining a cluster ({@code --kubeconfig}): the Node, its Lease and its status on a kube-apiserver. Only
 * {@link dev.skiff.kubelet.apiserver.ApiServerNode#start} is called from outside, and only when {@code --kubeconfig}
 * is given: no class here (nor the Kubernetes client) is loaded by a standalone kubelet.
 */
package dev.skiff.kubelet.apiserver;
