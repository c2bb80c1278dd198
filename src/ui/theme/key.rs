//! The semantic style keys, listed once. Widgets name a key as a variant
//! (`theme.style(ThemeKey::BorderFocused)`), so a misspelled key does not compile; theme
//! files name it by the string beside it, checked when the file is parsed
//! (`ThemeSource::parse`).

macro_rules! theme_keys {
    ($( $variant:ident = $name:literal : $desc:literal ),* $(,)?) => {
        /// A semantic style a widget asks the theme for. Named in theme files by the
        /// string beside each variant.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ThemeKey { $( #[doc = $desc] $variant ),* }

        impl ThemeKey {
            /// Every key, in declaration order (`index` is the position here).
            pub const ALL: &'static [ThemeKey] = &[ $( ThemeKey::$variant ),* ];

            /// How many keys there are (a resolved theme holds one style per key).
            pub const COUNT: usize = Self::ALL.len();

            /// The key's position in `ALL`: variants have no explicit discriminants, so
            /// the cast is the declaration order.
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The key as written in theme files (`"led.running"`).
            pub fn name(self) -> &'static str {
                match self { $( ThemeKey::$variant => $name ),* }
            }

            /// What the key colors (shown in docs and errors).
            pub fn description(self) -> &'static str {
                match self { $( ThemeKey::$variant => $desc ),* }
            }

            /// The key named `s` in a theme file, if there is one.
            pub fn from_name(s: &str) -> Option<ThemeKey> {
                match s { $( $name => Some(ThemeKey::$variant), )* _ => None }
            }
        }
    };
}

theme_keys! {
    Text = "text": "plain text",
    TextDim = "text.dim": "secondary text, hints and labels",
    Title = "title": "pane and screen titles",
    Border = "border": "pane borders",
    BorderFocused = "border.focused": "the focused pane's border",
    Selection = "selection": "the selected row or slot",
    Marked = "marked": "slots marked for a batch action",
    Lcd = "lcd": "the header LCD: what the system is doing",
    LcdBusy = "lcd.busy": "the header LCD while a task runs or a host is stale",
    LcdAlert = "lcd.alert": "the header LCD when a host is unreachable or refuses login",
    LedRunning = "led.running": "status LED: running",
    LedStopped = "led.stopped": "status LED: stopped",
    LedPaused = "led.paused": "status LED: paused",
    LedBusy = "led.busy": "status LED: busy (locked, migrating, backing up)",
    LedError = "led.error": "status LED: error",
    LedUnknown = "led.unknown": "status LED: unknown",
    LedAlert = "led.alert": "status LED: the guest or node has an alert firing",
    AlertCritical = "alert.critical": "a critical alert (offline, failed backup, failing health check)",
    AlertWarning = "alert.warning": "a warning alert (CPU, memory, disk, an old backup)",
    BackupStale = "backup.stale": "a slot's last-backup age once older than the alerts' backup threshold",
    BarCpu = "bar.cpu": "CPU bars and history",
    BarMem = "bar.mem": "memory bars and history",
    BarDisk = "bar.disk": "disk bars",
    BarEmpty = "bar.empty": "the empty part of a bar",
    Blank = "blank": "an empty rack slot",
    Tag = "tag": "guest tags",
    Port = "port": "ports in a slot and the details pane",
    Kind = "kind": "the guest kind in a slot",
    HostOnline = "host.online": "a host that answers",
    HostStale = "host.stale": "a host whose data is old",
    HostError = "host.error": "a host that fails, and error text",
    ToastInfo = "toast.info": "an information toast",
    ToastOk = "toast.ok": "a success toast",
    ToastError = "toast.error": "an error toast",
    Popup = "popup": "popup windows",
    Input = "input": "text inputs",
    InputInvalid = "input.invalid": "an input whose value is refused, and the reason",
    Key = "key": "key names in hints and help",
    Progress = "progress": "progress bars and counters of jobs",
    Match = "match": "search matches in a log (the current one is drawn as the selection)",
    SwitchOn = "switch.on": "a settings switch that is on",
    SwitchOff = "switch.off": "a settings switch that is off",
    Background = "background": "the screen background",
    Link = "link": "a URL (an OSC 8 hyperlink where the terminal takes it)",
}
