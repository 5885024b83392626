package dev.podlb.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application that calls the service {@code backend} through a plain
 * {@code RestClient}; podlb, configured in {@code application.yml}, picks the pod of each call.
 * Locally it starts three stand-in pods itself ({@link LocalPods}), so that
 * {@code mvn -q -Pdemo -pl examples/spring-app -am package exec:java} runs on any machine with
 * JDK 17 and Maven; then try {@code curl localhost:8080/spread}.
 */
@SpringBootApplication
public class SpringAppExample {
    public static void main(String[] args) {
        SpringApplication.run(SpringAppExample.class, args);
    }
}
