package dev.podlb.okhttp;

import java.util.List;
import okhttp3.Cookie;
import okhttp3.CookieJar;
import okhttp3.Request;
import okhttp3.Response;

/** Reading one cookie from a request's {@code Cookie} headers or a response's {@code Set-Cookie}. */
final class Cookies {
    private Cookies() {}

    /** The value of cookie {@code name} in the request, or {@code null}. */
    static String value(Request request, String name) {
        for (String header : request.headers("Cookie")) {
            for (String pair : header.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    return pair.substring(eq + 1).trim();
                }
            }
        }
        return null;
    }

    /**
     * {@code request} with the {@code Cookie} header it will leave with: OkHttp's bridge, which runs
     * after application interceptors, replaces the header with the client's cookie jar's cookies
     * for the URL whenever the jar has any.
     */
    static Request asSent(Request request, CookieJar jar) {
        if (jar == CookieJar.NO_COOKIES) {
            return request;
        }
        List<Cookie> cookies = jar.loadForRequest(request.url());
        if (cookies.isEmpty()) {
            return request;
        }
        StringBuilder header = new StringBuilder();
        for (Cookie cookie : cookies) {
            header.append(header.length() == 0 ? "" : "; ").append(cookie.name()).append('=').append(cookie.value());
        }
        return request.newBuilder().header("Cookie", header.toString()).build();
    }

    /**
     * The value the response sets for cookie {@code name}, or {@code null}. Read from the header
     * itself, whatever its {@code Domain}: a pod behind a service name often sets its session
     * cookie for the public domain, which a cookie jar would refuse for the service's host.
     */
    static String setBy(Response response, String name) {
        String value = null;
        for (String header : response.headers("Set-Cookie")) {
            int end = header.indexOf(';');
            String pair = end < 0 ? header : header.substring(0, end);
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                value = pair.substring(eq + 1).trim();
            }
        }
        return value;
    }
}
