//! The shipped catalog files, embedded so the binary works from any directory. One line per
//! file of `assets/catalog/`; a test (`tests/catalog.rs`) fails when this list and the
//! directory differ.

/// `(file stem, file text)`, sorted by stem.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "actualbudget",
        include_str!("../../assets/catalog/actualbudget.toml"),
    ),
    ("adguard", include_str!("../../assets/catalog/adguard.toml")),
    ("adminer", include_str!("../../assets/catalog/adminer.toml")),
    ("apache", include_str!("../../assets/catalog/apache.toml")),
    ("apprise", include_str!("../../assets/catalog/apprise.toml")),
    (
        "audiobookshelf",
        include_str!("../../assets/catalog/audiobookshelf.toml"),
    ),
    (
        "authentik",
        include_str!("../../assets/catalog/authentik.toml"),
    ),
    ("bazarr", include_str!("../../assets/catalog/bazarr.toml")),
    ("blocky", include_str!("../../assets/catalog/blocky.toml")),
    (
        "bookstack",
        include_str!("../../assets/catalog/bookstack.toml"),
    ),
    ("caddy", include_str!("../../assets/catalog/caddy.toml")),
    (
        "changedetection",
        include_str!("../../assets/catalog/changedetection.toml"),
    ),
    (
        "code-server",
        include_str!("../../assets/catalog/code-server.toml"),
    ),
    ("dashy", include_str!("../../assets/catalog/dashy.toml")),
    (
        "directus",
        include_str!("../../assets/catalog/directus.toml"),
    ),
    ("dockge", include_str!("../../assets/catalog/dockge.toml")),
    (
        "dokuwiki",
        include_str!("../../assets/catalog/dokuwiki.toml"),
    ),
    ("drone", include_str!("../../assets/catalog/drone.toml")),
    ("element", include_str!("../../assets/catalog/element.toml")),
    (
        "excalidraw",
        include_str!("../../assets/catalog/excalidraw.toml"),
    ),
    (
        "filebrowser",
        include_str!("../../assets/catalog/filebrowser.toml"),
    ),
    (
        "firefly-iii",
        include_str!("../../assets/catalog/firefly-iii.toml"),
    ),
    (
        "flatnotes",
        include_str!("../../assets/catalog/flatnotes.toml"),
    ),
    (
        "freshrss",
        include_str!("../../assets/catalog/freshrss.toml"),
    ),
    ("gatus", include_str!("../../assets/catalog/gatus.toml")),
    ("ghost", include_str!("../../assets/catalog/ghost.toml")),
    ("gitea", include_str!("../../assets/catalog/gitea.toml")),
    ("gitlab", include_str!("../../assets/catalog/gitlab.toml")),
    ("gotify", include_str!("../../assets/catalog/gotify.toml")),
    ("grafana", include_str!("../../assets/catalog/grafana.toml")),
    (
        "healthchecks",
        include_str!("../../assets/catalog/healthchecks.toml"),
    ),
    (
        "hedgedoc",
        include_str!("../../assets/catalog/hedgedoc.toml"),
    ),
    (
        "heimdall",
        include_str!("../../assets/catalog/heimdall.toml"),
    ),
    ("homarr", include_str!("../../assets/catalog/homarr.toml")),
    (
        "home-assistant",
        include_str!("../../assets/catalog/home-assistant.toml"),
    ),
    ("homebox", include_str!("../../assets/catalog/homebox.toml")),
    ("homer", include_str!("../../assets/catalog/homer.toml")),
    ("immich", include_str!("../../assets/catalog/immich.toml")),
    (
        "invoiceninja",
        include_str!("../../assets/catalog/invoiceninja.toml"),
    ),
    (
        "it-tools",
        include_str!("../../assets/catalog/it-tools.toml"),
    ),
    (
        "jellyfin",
        include_str!("../../assets/catalog/jellyfin.toml"),
    ),
    (
        "jellyseerr",
        include_str!("../../assets/catalog/jellyseerr.toml"),
    ),
    ("jenkins", include_str!("../../assets/catalog/jenkins.toml")),
    ("jupyter", include_str!("../../assets/catalog/jupyter.toml")),
    (
        "kanboard",
        include_str!("../../assets/catalog/kanboard.toml"),
    ),
    (
        "librechat",
        include_str!("../../assets/catalog/librechat.toml"),
    ),
    ("lidarr", include_str!("../../assets/catalog/lidarr.toml")),
    (
        "linkding",
        include_str!("../../assets/catalog/linkding.toml"),
    ),
    ("mariadb", include_str!("../../assets/catalog/mariadb.toml")),
    (
        "mattermost",
        include_str!("../../assets/catalog/mattermost.toml"),
    ),
    ("mealie", include_str!("../../assets/catalog/mealie.toml")),
    (
        "metabase",
        include_str!("../../assets/catalog/metabase.toml"),
    ),
    (
        "miniflux",
        include_str!("../../assets/catalog/miniflux.toml"),
    ),
    ("minio", include_str!("../../assets/catalog/minio.toml")),
    ("mongodb", include_str!("../../assets/catalog/mongodb.toml")),
    ("n8n", include_str!("../../assets/catalog/n8n.toml")),
    ("netdata", include_str!("../../assets/catalog/netdata.toml")),
    (
        "nextcloud",
        include_str!("../../assets/catalog/nextcloud.toml"),
    ),
    ("nginx", include_str!("../../assets/catalog/nginx.toml")),
    (
        "nginx-proxy-manager",
        include_str!("../../assets/catalog/nginx-proxy-manager.toml"),
    ),
    ("nocodb", include_str!("../../assets/catalog/nocodb.toml")),
    (
        "node-red",
        include_str!("../../assets/catalog/node-red.toml"),
    ),
    ("ntfy", include_str!("../../assets/catalog/ntfy.toml")),
    ("nzbget", include_str!("../../assets/catalog/nzbget.toml")),
    (
        "olivetin",
        include_str!("../../assets/catalog/olivetin.toml"),
    ),
    ("ollama", include_str!("../../assets/catalog/ollama.toml")),
    (
        "open-webui",
        include_str!("../../assets/catalog/open-webui.toml"),
    ),
    ("outline", include_str!("../../assets/catalog/outline.toml")),
    (
        "paperless-ngx",
        include_str!("../../assets/catalog/paperless-ngx.toml"),
    ),
    (
        "photoprism",
        include_str!("../../assets/catalog/photoprism.toml"),
    ),
    ("pihole", include_str!("../../assets/catalog/pihole.toml")),
    ("plex", include_str!("../../assets/catalog/plex.toml")),
    (
        "portainer",
        include_str!("../../assets/catalog/portainer.toml"),
    ),
    (
        "postgres",
        include_str!("../../assets/catalog/postgres.toml"),
    ),
    (
        "privatebin",
        include_str!("../../assets/catalog/privatebin.toml"),
    ),
    (
        "prometheus",
        include_str!("../../assets/catalog/prometheus.toml"),
    ),
    (
        "prowlarr",
        include_str!("../../assets/catalog/prowlarr.toml"),
    ),
    (
        "qbittorrent",
        include_str!("../../assets/catalog/qbittorrent.toml"),
    ),
    ("radarr", include_str!("../../assets/catalog/radarr.toml")),
    ("redis", include_str!("../../assets/catalog/redis.toml")),
    (
        "rocketchat",
        include_str!("../../assets/catalog/rocketchat.toml"),
    ),
    ("seafile", include_str!("../../assets/catalog/seafile.toml")),
    ("searxng", include_str!("../../assets/catalog/searxng.toml")),
    ("shlink", include_str!("../../assets/catalog/shlink.toml")),
    (
        "snipe-it",
        include_str!("../../assets/catalog/snipe-it.toml"),
    ),
    ("sonarr", include_str!("../../assets/catalog/sonarr.toml")),
    (
        "stable-diffusion-webui",
        include_str!("../../assets/catalog/stable-diffusion-webui.toml"),
    ),
    (
        "stirling-pdf",
        include_str!("../../assets/catalog/stirling-pdf.toml"),
    ),
    (
        "syncthing",
        include_str!("../../assets/catalog/syncthing.toml"),
    ),
    (
        "tailscale",
        include_str!("../../assets/catalog/tailscale.toml"),
    ),
    ("traefik", include_str!("../../assets/catalog/traefik.toml")),
    (
        "transmission",
        include_str!("../../assets/catalog/transmission.toml"),
    ),
    ("trilium", include_str!("../../assets/catalog/trilium.toml")),
    ("umami", include_str!("../../assets/catalog/umami.toml")),
    (
        "uptime-kuma",
        include_str!("../../assets/catalog/uptime-kuma.toml"),
    ),
    (
        "vaultwarden",
        include_str!("../../assets/catalog/vaultwarden.toml"),
    ),
    (
        "wallabag",
        include_str!("../../assets/catalog/wallabag.toml"),
    ),
    ("wikijs", include_str!("../../assets/catalog/wikijs.toml")),
    (
        "wireguard",
        include_str!("../../assets/catalog/wireguard.toml"),
    ),
    (
        "wordpress",
        include_str!("../../assets/catalog/wordpress.toml"),
    ),
];
