package dev.podlb.okhttp;

import java.util.List;
import okhttp3.Cookie;
import okhttp3.HttpUrl;
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

    /** The value the response sets for cookie {@code name}, or {@code null}. */
    static String setBy(Response response, String name) {
        HttpUrl url = response.request().url();
        List<Cookie> cookies = Cookie.parseAll(url, response.headers());
        for (Cookie cookie : cookies) {
            if (cookie.name().equals(name)) {
                return cookie.value();
            }
        }
        return null;
    }
}
