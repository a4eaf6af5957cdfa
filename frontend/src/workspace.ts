/** Entry point of the labelling workspace bundle: defines the custom elements. The page
 * places <fl-workspace data-project-id=… data-csrf-token=…> and loads this module. */
import "./workspace.css";
import "./components/workspace";
import "./components/review";
