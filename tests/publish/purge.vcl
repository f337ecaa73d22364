# The cache the CDN-purge tests put in front of the S3 server (tests/publish/varnish.py
# fills in the backend port). It caches every GET for an hour, whatever Cache-Control
# says, so only a purge can make it fetch an object again; it takes PURGE from
# 127.0.0.1 only, and says on every answer whether it came from the cache.
vcl 4.1;

backend store {
    .host = "127.0.0.1";
    .port = "@BACKEND_PORT@";
}

acl purgers {
    "127.0.0.1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(405, "PURGE only from 127.0.0.1"));
        }
        return (purge);
    }
}

sub vcl_backend_response {
    set beresp.ttl = 1h;
    set beresp.grace = 0s;
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
