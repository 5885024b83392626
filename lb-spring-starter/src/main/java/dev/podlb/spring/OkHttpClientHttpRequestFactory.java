package dev.podlb.spring;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.client.AbstractBufferingClientHttpRequest;
import org.springframework.http.client.ClientHttpRequest;
import org.springframework.http.client.ClientHttpRequestFactory;
import org.springframework.http.client.ClientHttpResponse;

/**
 * Runs Spring's {@code RestClient} (and {@code RestTemplate}) on an {@link OkHttpClient}, so that
 * their calls are balanced by podlb. Spring Framework 7 no longer ships an OkHttp request factory.
 */
public final class OkHttpClientHttpRequestFactory implements ClientHttpRequestFactory {
    private final OkHttpClient client;

    public OkHttpClientHttpRequestFactory(OkHttpClient client) {
        this.client = client;
    }

    @Override
    public ClientHttpRequest createRequest(URI uri, HttpMethod method) {
        return new OkHttpRequest(client, uri, method);
    }

    private static final class OkHttpRequest extends AbstractBufferingClientHttpRequest {
        private final OkHttpClient client;
        private final URI uri;
        private final HttpMethod method;

        OkHttpRequest(OkHttpClient client, URI uri, HttpMethod method) {
            this.client = client;
            this.uri = uri;
            this.method = method;
        }

        @Override
        public HttpMethod getMethod() {
            return method;
        }

        @Override
        public URI getURI() {
            return uri;
        }

        @Override
        protected ClientHttpResponse executeInternal(HttpHeaders headers, byte[] body) throws IOException {
            String contentType = headers.getFirst(HttpHeaders.CONTENT_TYPE);
            boolean hasBody = body.length > 0 || method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH;
            RequestBody requestBody = hasBody
                    ? RequestBody.create(body, contentType == null ? null : MediaType.parse(contentType)) : null;
            Request.Builder request = new Request.Builder().url(uri.toString()).method(method.name(), requestBody);
            headers.forEach((name, values) -> values.forEach(value -> request.addHeader(name, value)));
            return new OkHttpResponse(client.newCall(request.build()).execute());
        }
    }

    private static final class OkHttpResponse implements ClientHttpResponse {
        private final Response response;
        private HttpHeaders headers;

        OkHttpResponse(Response response) {
            this.response = response;
        }

        @Override
        public HttpStatusCode getStatusCode() {
            return HttpStatusCode.valueOf(response.code());
        }

        @Override
        public String getStatusText() {
            return response.message();
        }

        @Override
        public HttpHeaders getHeaders() {
            if (headers == null) {
                HttpHeaders copy = new HttpHeaders();
                response.headers().forEach(pair -> copy.add(pair.getFirst(), pair.getSecond()));
                headers = copy;
            }
            return headers;
        }

        @Override
        public InputStream getBody() {
            ResponseBody body = response.body();
            return body.byteStream();
        }

        @Override
        public void close() {
            response.close();
        }
    }
}
