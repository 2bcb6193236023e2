//! The macOS half of [`super`]: an Objective-C object that `NSAppleEventManager`
//! calls for 'aevt'/'odoc' (open documents: a drop on the Dock icon, Finder's
//! "Open With", `open -a CoreMusic file.wav`). It reads the file URLs from the
//! event's direct object and pushes their paths onto [`super::system_queue`].
//! It also listens for `NSApplicationWillFinishLaunchingNotification` to
//! install itself again after AppKit's defaults, before the launch documents
//! are sent. Main thread only; never panics (an unwind here would abort).

use std::cell::{Cell, OnceCell};
use std::path::PathBuf;

use objc2::rc::Retained;
use objc2::{define_class, msg_send, sel, AnyThread};
use objc2_foundation::{
    NSAppleEventDescriptor, NSAppleEventManager, NSNotification, NSNotificationCenter, NSObject, NSString,
};

/// `kCoreEventClass`.
const CORE_EVENT_CLASS: u32 = u32::from_be_bytes(*b"aevt");
/// `kAEOpenDocuments`.
const OPEN_DOCUMENTS: u32 = u32::from_be_bytes(*b"odoc");
/// `keyDirectObject`: the event's list of documents.
const DIRECT_OBJECT: u32 = u32::from_be_bytes(*b"----");
/// The value of AppKit's `NSApplicationWillFinishLaunchingNotification`.
const WILL_FINISH_LAUNCHING: &str = "NSApplicationWillFinishLaunchingNotification";

define_class!(
    // SAFETY: NSObject has no subclassing requirements and the class has no Drop.
    #[unsafe(super(NSObject))]
    #[name = "CoreMusicOpenDocumentsHandler"]
    struct OpenHandler;

    impl OpenHandler {
        #[unsafe(method(handleOpenDocuments:withReplyEvent:))]
        fn handle_open_documents(&self, event: Option<&NSAppleEventDescriptor>, _reply: Option<&NSAppleEventDescriptor>) {
            if let Some(event) = event {
                super::system_queue().push(document_paths(event));
            }
        }

        #[unsafe(method(applicationWillFinishLaunching:))]
        fn application_will_finish_launching(&self, _note: Option<&NSNotification>) {
            register(self);
        }
    }
);

impl OpenHandler {
    fn new() -> Retained<Self> {
        let this = Self::alloc().set_ivars(());
        // SAFETY: NSObject's designated initializer.
        unsafe { msg_send![super(this), init] }
    }
}

thread_local! {
    /// The one handler (kept alive for the life of the main thread: the event
    /// manager and the notification centre do not retain it).
    static HANDLER: OnceCell<Retained<OpenHandler>> = const { OnceCell::new() };
    static OBSERVING: Cell<bool> = const { Cell::new(false) };
}

/// Makes `handler` the receiver of 'aevt'/'odoc' (replacing any other handler).
fn register(handler: &OpenHandler) {
    let manager = NSAppleEventManager::sharedAppleEventManager();
    // SAFETY: the selector names a method of `handler` with the signature the
    // event manager calls (event, reply); the class and id are FourCharCodes.
    unsafe {
        let _: () = msg_send![
            &*manager,
            setEventHandler: handler,
            andSelector: sel!(handleOpenDocuments:withReplyEvent:),
            forEventClass: CORE_EVENT_CLASS,
            andEventID: OPEN_DOCUMENTS
        ];
    }
}

/// Installs the handler now and, once, for the moment AppKit is about to
/// finish launching (see the module docs).
pub(super) fn install() {
    HANDLER.with(|cell| {
        let handler = cell.get_or_init(OpenHandler::new);
        register(handler);
        if !OBSERVING.with(|o| o.replace(true)) {
            let center = NSNotificationCenter::defaultCenter();
            let name = NSString::from_str(WILL_FINISH_LAUNCHING);
            // SAFETY: the selector names a method of `handler` taking one
            // NSNotification; the handler lives as long as the main thread.
            unsafe {
                center.addObserver_selector_name_object(
                    handler,
                    sel!(applicationWillFinishLaunching:),
                    Some(&name),
                    None,
                );
            }
        }
    });
}

/// The file paths of an open-documents event: its direct object is a list of
/// file URLs (or, from old senders, a single one).
fn document_paths(event: &NSAppleEventDescriptor) -> Vec<PathBuf> {
    // SAFETY: paramDescriptorForKeyword: takes an AEKeyword (FourCharCode) and
    // returns a descriptor or nil.
    let list: Option<Retained<NSAppleEventDescriptor>> =
        unsafe { msg_send![event, paramDescriptorForKeyword: DIRECT_OBJECT] };
    let Some(list) = list else { return Vec::new() };
    let count = list.numberOfItems();
    let items: Vec<Retained<NSAppleEventDescriptor>> =
        if count > 0 { (1..=count).filter_map(|i| list.descriptorAtIndex(i)).collect() } else { vec![list] };
    items.iter().filter_map(|d| d.fileURLValue()).filter_map(|url| url.to_file_path()).collect()
}
