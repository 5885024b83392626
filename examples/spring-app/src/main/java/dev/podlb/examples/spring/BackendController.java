package dev.podlb.examples.spring;

import java.util.Map;
import java.util.TreeMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/** Calls the balanced service {@code backend} with a plain {@code RestClient}: podlb chooses the pod of each call. */
@RestController
class BackendController {
    private final RestClient backend;

    BackendController(RestClient.Builder builder) {
        // "backend" is podlb.services.backend's host: its calls are balanced, those to any other host are not.
        this.backend = builder.baseUrl("http://backend").build();
    }

    /** One call: the pod that answered it. */
    @GetMapping("/hello")
    String hello() {
        return "backend answered from " + backend.get().uri("/").retrieve().body(String.class) + "\n";
    }

    /** {@code calls} calls, counted by the pod that answered each. */
    @GetMapping("/spread")
    Map<String, Integer> spread(@RequestParam(name = "calls", defaultValue = "30") int calls) {
        Map<String, Integer> answers = new TreeMap<>();
        for (int i = 0; i < Math.min(calls, 1000); i++) {
            answers.merge(backend.get().uri("/").retrieve().body(String.class), 1, Integer::sum);
        }
        return answers;
    }
}
