package dev.podlb.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ByteArrayResource;

/** The YAML of the README's Spring Boot section starts the starter as written: every key it shows exists, every value is accepted. */
class ReadmeYamlTest {
    private static final Path README = Path.of("..", "README.md");

    @Test
    void everyYamlBlockOfTheSpringBootSectionStartsPodlb() throws Exception {
        List<String> blocks = yamlBlocks("## Spring Boot");
        assertThat(blocks).hasSizeGreaterThanOrEqualTo(2);
        for (String block : blocks) {
            List<String> properties = new ArrayList<>();
            for (PropertySource<?> source : new YamlPropertySourceLoader().load("README", new ByteArrayResource(
                    block.getBytes(StandardCharsets.UTF_8)))) {
                EnumerablePropertySource<?> yaml = (EnumerablePropertySource<?>) source;
                for (String name : yaml.getPropertyNames()) {
                    properties.add(name + "=" + yaml.getProperty(name));
                }
            }
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(PodlbAutoConfiguration.class))
                    .withPropertyValues(properties.toArray(String[]::new))
                    .run(context -> assertThat(context).as("README block:%n%s", block).hasNotFailed());
        }
    }

    private static List<String> yamlBlocks(String section) throws Exception {
        List<String> blocks = new ArrayList<>();
        boolean inSection = false;
        StringBuilder block = null;
        for (String line : Files.readAllLines(README, StandardCharsets.UTF_8)) {
            if (line.startsWith("## ")) {
                inSection = line.equals(section);
            } else if (inSection && line.equals("```yaml")) {
                block = new StringBuilder();
            } else if (block != null && line.equals("```")) {
                blocks.add(block.toString());
                block = null;
            } else if (block != null) {
                block.append(line).append('\n');
            }
        }
        return blocks;
    }
}
