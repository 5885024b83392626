package dev.podlb.okhttp;

import okhttp3.Request;

/**
 * Where a request's sticky key comes from: requests with the same key reach the same pod. Returns
 * {@code null} when the request has none (it is then picked like any other).
 *
 * <pre>{@code
 * StickyKey.header("X-Session-Id")
 * StickyKey.cookie("JSESSIONID")
 * request -> request.url().queryParameter("user")
 * }</pre>
 */
@FunctionalInterface
public interface StickyKey {
    String keyOf(Request request);

    /** The value of a request header. */
    static StickyKey header(String name) {
        Names.require("sticky header name", name);
        return request -> request.header(name);
    }

    /** The value of a cookie the request carries. */
    static StickyKey cookie(String name) {
        Names.require("sticky cookie name", name);
        return request -> Cookies.value(request, name);
    }
}
