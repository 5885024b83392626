package dev.podlb.okhttp;

import dev.podlb.core.pick.PickRequest;
import kotlin.jvm.JvmClassMappingKt;
import kotlin.reflect.KClass;
import okhttp3.CookieJar;
import okhttp3.Request;

/**
 * What a request asks of the picker: a {@link PickRequest} tag wins, then the service's pin
 * header, then its sticky key, read from the request as it will be sent (with the client's
 * cookie jar's cookies).
 */
final class PickRequests {
    /**
     * The tag's class as OkHttp keeps tags, by Kotlin class: {@link Request#tag(Class)} would wrap
     * the Java class in a new Kotlin one on every call.
     */
    private static final KClass<PickRequest> TAG = JvmClassMappingKt.getKotlinClass(PickRequest.class);

    private PickRequests() {}

    static PickRequest of(BalancedService service, Request request, CookieJar cookies) {
        PickRequest tagged = request.tag(TAG);
        if (tagged != null) {
            return tagged;
        }
        String pin = service.pinHeader != null ? request.header(service.pinHeader) : null;
        if (pin != null) {
            return PickRequest.pinned(pin);
        }
        String key = service.stickyKey != null ? service.stickyKey.keyOf(Cookies.asSent(request, cookies)) : null;
        return key != null ? PickRequest.sticky(key) : PickRequest.none();
    }

    /** The request as it leaves for a pod: without the pin header, which is for podlb alone. */
    static Request outgoing(BalancedService service, Request request) {
        return service.pinHeader != null && request.header(service.pinHeader) != null
                ? request.newBuilder().removeHeader(service.pinHeader).build() : request;
    }
}
