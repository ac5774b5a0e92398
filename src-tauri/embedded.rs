//! The hub inside the app: bound first (so a busy port is reported, then a free one used), run on
//! its own tokio runtime with mDNS discovery, and stopped cleanly when the app exits (goodbye over
//! mDNS, sockets closed with 1001 after a flush, the store committed).

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use hubbub_server::discovery::Discovery;
use hubbub_server::{Config, Hub};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The running hub and how to stop it.
pub struct Embedded {
    pub hub: Hub,
    pub bound: SocketAddr,
    /// Why the configured address could not be used, when the hub fell back to a free port.
    pub bind_error: Option<String>,
    runtime: tokio::runtime::Runtime,
    discovery: Mutex<Option<Discovery>>,
    stop: Mutex<Option<(oneshot::Sender<()>, tokio::task::JoinHandle<()>)>>,
}

impl Embedded {
    /// Binds, opens the store and starts serving.
    pub fn start(config: Config) -> anyhow::Result<Embedded> {
        let runtime = tokio::runtime::Runtime::new()?;
        let (listener, bind_error) = runtime.block_on(async {
            match TcpListener::bind(config.bind).await {
                Ok(l) => Ok::<_, anyhow::Error>((l, None)),
                Err(e) => {
                    let fallback = SocketAddr::new(config.bind.ip(), 0);
                    let l = TcpListener::bind(fallback).await.map_err(|e2| {
                        anyhow::anyhow!("cannot listen on {} ({e}) nor on {fallback} ({e2})", config.bind)
                    })?;
                    let why = format!(
                        "port {} is not available ({e}); the hub uses another one",
                        config.bind.port()
                    );
                    tracing::warn!("{why}");
                    Ok((l, Some(why)))
                }
            }
        })?;
        let bound = listener.local_addr()?;
        let hub =
            runtime.block_on(Hub::open(config)).map_err(|e| anyhow::anyhow!("cannot open the store: {e}"))?;
        let (tx, rx) = oneshot::channel::<()>();
        let served = hub.clone();
        let server = runtime.spawn(async move {
            if let Err(e) = hubbub_server::serve(listener, served, async {
                let _ = rx.await;
            })
            .await
            {
                tracing::error!(error = %e, "the hub stopped with an error");
            }
        });
        let found = {
            let _entered = runtime.enter();
            hub.start_discovery(bound)
        };
        tracing::info!(%bound, "hub started in the app");
        Ok(Embedded {
            hub,
            bound,
            bind_error,
            runtime,
            discovery: Mutex::new(Some(found)),
            stop: Mutex::new(Some((tx, server))),
        })
    }

    /// Announces the hub again (after a rename): goodbye under the old name, hello under the new.
    pub fn readvertise(&self) {
        let mut slot = self.discovery.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = slot.take() {
            old.stop();
        }
        let _entered = self.runtime.enter();
        *slot = Some(self.hub.start_discovery(self.bound));
    }

    /// Stops the hub and waits (at most 10 s) until it has closed every socket and flushed the store.
    pub fn stop(&self) {
        let Some((tx, server)) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        if let Some(d) = self.discovery.lock().unwrap_or_else(|p| p.into_inner()).take() {
            d.stop();
        }
        let _ = tx.send(());
        let _ = self.runtime.block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await });
        tracing::info!("hub stopped");
    }
}
