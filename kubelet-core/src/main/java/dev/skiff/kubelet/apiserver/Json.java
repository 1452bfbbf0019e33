package dev.skiff.kubelet.apiserver;

import io.fabric8.kubernetes.client.KubernetesClient;

/** Patch bodies as JSON, with the client's own serialization (it knows the model's quantities and times). */
final class Json {
    private Json() {}

    static String write(KubernetesClient client, Object value) {
        return client.getKubernetesSerialization().asJson(value);
    }
}
